import PluginKit

PluginServer.serve(LSTMEncoder.self)
