import PluginKit

PluginServer.serve(JumpsEncoder.self)
