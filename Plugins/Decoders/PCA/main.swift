import PluginKit

PluginServer.serve(PCADecoder.self)
