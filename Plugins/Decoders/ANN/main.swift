import PluginKit

PluginServer.serve(ANNDecoder.self)
