import PluginKit

PluginServer.serve(PCAEncoder.self)
