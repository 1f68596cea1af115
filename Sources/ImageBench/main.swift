// ImageBench: measures the Images module for `scripts/bench images`.
//   ImageBench generate DIR N   writes N photo-like 2400 x 3600 JPEG covers to DIR
//   ImageBench render DIR       makes thumb 300 + display 1200 + original of every file, threads = cores
//   ImageBench memory N         processes N generated 6000 x 4000 covers one after another, prints peak RSS
import Foundation
import Images

let arguments = CommandLine.arguments
let cores = ProcessInfo.processInfo.activeProcessorCount
// Covers of 6000 x 4000 weigh more than the default 10 MiB limit; the bench measures processing, not limits.
let limits = ImageLimits(maxBytes: 256 << 20, maxPixels: 100_000_000)

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ImageBench: \(message)\n".utf8))
    exit(2)
}

/// Peak resident set size of this process (VmHWM), in MB.
func peakRSSMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true)[1])
    else { return -1 }
    return kilobytes / 1024
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Processes every source at once (the inspector bounds the work) and counts the images written.
func processAll(_ sources: [[UInt8]], with inspector: ImageInspector, settings: RenditionSettings) async throws -> Int {
    try await withThrowingTaskGroup(of: Int.self) { group in
        for source in sources {
            group.addTask { try await 1 + inspector.process(source, settings: settings).renditions.count }
        }
        return try await group.reduce(0, +)
    }
}

switch (arguments.count > 1 ? arguments[1] : "", arguments.count) {
case ("generate", 4):
    let directory = URL(fileURLWithPath: arguments[2])
    guard let count = Int(arguments[3]), count > 0 else { fail("N must be a positive number") }
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    DispatchQueue.concurrentPerform(iterations: count) { index in
        // Sizes vary a little, as real covers do.
        let width = 2400 + (index % 5) * 40
        let height = 3600 - (index % 3) * 60
        do {
            let bytes = try TestImages.encode(.noise(seed: index + 1), width: width, height: height, as: .jpeg, quality: 88)
            let name = String(format: "cover-%03d.jpg", index)
            try Data(bytes).write(to: directory.appendingPathComponent(name))
        } catch {
            fail("generating cover \(index): \(error)")
        }
    }
    print("generated \(count) covers in \(directory.path)")

case ("render", 3):
    let directory = URL(fileURLWithPath: arguments[2])
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        .map { directory.appendingPathComponent($0) }
    let sources = try files.map { [UInt8](try Data(contentsOf: $0)) }
    guard !sources.isEmpty else { fail("no files in \(directory.path)") }
    let inspector = try ImageInspector(limits: limits, threads: cores, queueLimit: sources.count)
    let settings = RenditionSettings()
    let clock = ContinuousClock()
    let start = clock.now
    let outputs = try await processAll(sources, with: inspector, settings: settings)
    let elapsed = seconds(clock.now - start)
    inspector.shutdown()
    print(String(format: "%d covers, %d renditions in %.2f s on %d threads: %.1f renditions/s",
                 sources.count, outputs, elapsed, cores, Double(outputs) / elapsed))

case ("memory", 3):
    guard let count = Int(arguments[2]), count > 0 else { fail("N must be a positive number") }
    // Four distinct pictures, cycled: generating 200 would take longer than processing them.
    let covers = try (0..<min(count, 4)).map { try TestImages.largeJPEG(.noise(seed: 100 + $0)) }
    let before = peakRSSMegabytes()
    let inspector = try ImageInspector(limits: limits, threads: cores, queueLimit: 4)
    let settings = RenditionSettings()
    let clock = ContinuousClock()
    let start = clock.now
    var written = 0
    for index in 0..<count {
        let processed = try await inspector.process(covers[index % covers.count], settings: settings)
        written += processed.original.bytes.count + processed.renditions.reduce(0) { $0 + $1.image.bytes.count }
    }
    let elapsed = seconds(clock.now - start)
    inspector.shutdown()
    print(String(format: "%d covers of 6000x4000 in %.1f s (%.2f s each); peak RSS %.0f MB (%.0f MB before processing)",
                 count, elapsed, elapsed / Double(count), peakRSSMegabytes(), before))

default:
    fail("usage: ImageBench generate DIR N | render DIR | memory N")
}
