import BSON

/// The kind of a database call, for timing by kind: a small fixed set, never a collection or a filter.
public enum DatabaseOperation: String, Sendable, CaseIterable {
    case insert, find, count, update, delete
    case bulkWrite = "bulk_write"
    case aggregate
    case createIndexes = "create_indexes"
    case drop
    /// Any other command (ping, dropDatabase, ...).
    case command

    /// The kind of a database command, by its first key.
    init(command: BSONDocument) {
        self = switch command.keys.first {
        case "aggregate": .aggregate
        case "createIndexes": .createIndexes
        default: .command
        }
    }
}
