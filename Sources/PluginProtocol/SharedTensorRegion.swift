import Glibc

/// The memory of the `shared_memory` transport: one memfd that the coordinator creates,
/// seals (`fe_shared_memory` in CProcessSpawn) and hands to the plugin as descriptor 3, and that both map.
///
/// Four slots of `slotBytes`: two for the coordinator's requests, then two for the plugin's
/// responses. Each side alternates between its two slots, one message with tensors at a
/// time; the coordinator never has more than two requests unanswered, so a slot is written
/// again only after its peer has read it. Whatever does not fit a slot travels in the frame's
/// attachment, as under `binary`.
///
/// The peer is untrusted, so a reader copies values out before it checks them (the peer may
/// still be writing), and the size is sealed: a plugin cannot shrink the file under the
/// coordinator's mapping, which would turn the coordinator's next read into SIGBUS.
public final class SharedTensorRegion: @unchecked Sendable {
    /// Which end of the connection this mapping serves: it writes its own slots and reads the peer's.
    public enum Side: Sendable { case coordinator, plugin }

    /// The descriptor number the plugin finds the region at.
    public static let pluginDescriptor: Int32 = 3
    /// Large enough for a batch of 2,048 windows of 1,024 values per message.
    public static let defaultSlotBytes = 8 << 20

    public let slotBytes: Int
    /// The memfd; the coordinator passes it to the plugin at spawn.
    public let descriptor: Int32
    let base: UnsafeMutableRawPointer

    public var totalBytes: Int { slotBytes * 4 }

    private init(descriptor: Int32, base: UnsafeMutableRawPointer, slotBytes: Int) {
        self.descriptor = descriptor
        self.base = base
        self.slotBytes = slotBytes
    }

    deinit {
        munmap(base, totalBytes)
        close(descriptor)
    }

    /// Maps the region in `fd` (which it then owns): the coordinator's new memfd, or the plugin's
    /// inherited one. Refused unless the file is exactly four slots long and sealed against
    /// shrinking, so that no access to the mapping can fault.
    public static func map(descriptor fd: Int32, slotBytes: Int) throws(SharedMemoryError) -> SharedTensorRegion {
        guard slotBytes > 0, slotBytes % 64 == 0, slotBytes <= 1 << 28 else { throw .invalid("slot size \(slotBytes)") }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system("fstat", errno) }
        let total = slotBytes * 4
        guard info.st_size == off_t(total) else { throw .invalid("descriptor \(fd) holds \(info.st_size) bytes, not \(total)") }
        let seals = fcntl(fd, Self.getSeals)
        guard seals >= 0, seals & Self.sealShrink != 0 else { throw .invalid("descriptor \(fd) is not sealed against shrinking") }
        guard let base = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            throw .system("mmap", errno)
        }
        return SharedTensorRegion(descriptor: fd, base: base, slotBytes: slotBytes)
    }

    /// The slot `side` writes its next message's tensors to (`parity` alternates 0, 1).
    func writableSlot(of side: Side, parity: Int) -> (start: Int, bytes: UnsafeMutableRawBufferPointer) {
        let start = (side == .coordinator ? 0 : 2 * slotBytes) + (parity & 1) * slotBytes
        return (start, UnsafeMutableRawBufferPointer(start: base + start, count: slotBytes))
    }

    /// Where `side` may read its peer's tensors from: the peer's two slots.
    func readableArea(of side: Side) -> SharedArea {
        let start = side == .coordinator ? 2 * slotBytes : 0
        return SharedArea(base: UnsafeRawPointer(base), range: start..<(start + 2 * slotBytes))
    }

    // Linux's values (fcntl.h), which Glibc's module map does not export.
    static let getSeals: Int32 = 1034
    static let sealShrink: Int32 = 2
}

/// The bytes of a region that one side may read tensors from (offsets are from the region's start).
struct SharedArea: @unchecked Sendable {
    let base: UnsafeRawPointer
    let range: Range<Int>

    /// The `count` bytes at `offset`, if they lie wholly inside this area.
    func bytes(at offset: Int, count: Int) -> UnsafeRawBufferPointer? {
        guard offset >= range.lowerBound, count >= 0, offset <= range.upperBound - count else { return nil }
        return UnsafeRawBufferPointer(start: base + offset, count: count)
    }
}

/// Why the shared region could not be made or mapped; the transport is then not used.
public enum SharedMemoryError: Error, Sendable, CustomStringConvertible {
    case system(String, Int32)
    case invalid(String)

    public var description: String {
        switch self {
        case .system(let call, let e): "\(call) failed (errno \(e))"
        case .invalid(let why): why
        }
    }
}
