import PluginKit

// Speaks the protocol on stdin/stdout until the coordinator says shutdown.
PluginServer.serve(LinearEncoder.self)
