import PluginKit

PluginServer.serve(TransformerEncoder.self)
