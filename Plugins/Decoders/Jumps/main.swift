import PluginKit

PluginServer.serve(JumpsDecoder.self)
