extension Configuration {
    /// The live event streams: how they find new events and how many there may be.
    public struct Events: Sendable {
        public var heartbeat: Duration
        public var poll: Duration
        public var maxStreams: Int
        public var pageSize: Int

        init(_ reader: ConfigurationReader) throws(ConfigurationError) {
            heartbeat = .seconds(try reader.integer(.eventsHeartbeat, in: 1...3600))
            poll = .milliseconds(try reader.integer(.eventsPoll, in: 10...60_000))
            maxStreams = try reader.integer(.eventsMaxStreams, in: 1...100_000)
            pageSize = try reader.integer(.eventsPageSize, in: 1...1000)
        }
    }
}
