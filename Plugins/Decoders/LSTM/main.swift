import PluginKit

PluginServer.serve(LSTMDecoder.self)
