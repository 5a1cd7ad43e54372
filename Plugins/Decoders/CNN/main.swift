import PluginKit

PluginServer.serve(CNNDecoder.self)
