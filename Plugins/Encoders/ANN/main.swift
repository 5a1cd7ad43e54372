import PluginKit

PluginServer.serve(ANNEncoder.self)
