import PluginKit

PluginServer.serve(CNNEncoder.self)
