import PluginKit

PluginServer.serve(TransformerDecoder.self)
