import CProcessSpawn
import Glibc
import PluginProtocol

extension SharedTensorRegion {
    /// A new region for one plugin, or nil where the system cannot make one (the pipe
    /// transports then carry every tensor, as before).
    static func forPlugin(slotBytes: Int = defaultSlotBytes) -> SharedTensorRegion? {
        let fd = fe_shared_memory(slotBytes * 4)
        guard fd >= 0 else { return nil }
        do {
            return try map(descriptor: fd, slotBytes: slotBytes)
        } catch {
            close(fd)
            return nil
        }
    }
}
