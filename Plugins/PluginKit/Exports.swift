// A plugin names the protocol's types (PluginRole, ParameterSpec, RPCError, Tensor) as well as
// the SDK's: re-exporting the protocol makes `PluginKit` the one product a plugin depends on.
@_exported import PluginProtocol
