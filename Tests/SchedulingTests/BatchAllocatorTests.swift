import Testing
import Scheduling

@Suite("Batch allocation between media types")
struct BatchAllocatorTests {
    typealias Pending = [(mediaType: String, pending: Int)]

    @Test("floor(batch / n) each, the remainder to the most pending, capped by pending and redistributed", arguments: [
        // The examples.
        (40, [("books", 100), ("movies", 100), ("games", 100), ("musics", 100)], ["books": 10, "movies": 10, "games": 10, "musics": 10]),
        // 6 each, the remainder to books (7); movies can use 3, its spare 3 go one each to the others.
        (25, [("books", 100), ("movies", 3), ("games", 50), ("musics", 50)], ["books": 8, "movies": 3, "games": 7, "musics": 7]),
        // Remainder with no caps: to the most pending first.
        (27, [("books", 10), ("movies", 40), ("games", 30), ("musics", 20)], ["books": 6, "movies": 7, "games": 7, "musics": 7]),
        // Ties in pending: the order given decides.
        (10, [("books", 50), ("movies", 50), ("games", 50)], ["books": 4, "movies": 3, "games": 3]),
        (11, [("games", 50), ("books", 50), ("movies", 50)], ["games": 4, "books": 4, "movies": 3]),
        (6, [("books", 9), ("movies", 20), ("games", 20), ("musics", 9)], ["books": 1, "movies": 2, "games": 2, "musics": 1]),
        // Redistribution in several steps: 2 and 5 are capped, the rest share 93.
        (100, [("books", 2), ("movies", 5), ("games", 1000), ("musics", 40)], ["books": 2, "movies": 5, "games": 53, "musics": 40]),
        (100, [("books", 2), ("movies", 5), ("games", 1000), ("musics", 60)], ["books": 2, "movies": 5, "games": 47, "musics": 46]),
        // Zero pending gets 0 and its share goes to the others.
        (40, [("books", 0), ("movies", 100), ("games", 100), ("musics", 100)], ["books": 0, "movies": 14, "games": 13, "musics": 13]),
        // Batch larger than everything pending: everyone gets all they have.
        (500, [("books", 100), ("movies", 3), ("games", 50)], ["books": 100, "movies": 3, "games": 50]),
        (10, [("books", 0), ("movies", 0)], ["books": 0, "movies": 0]),
        // Tiny batches.
        (0, [("books", 100), ("movies", 3)], ["books": 0, "movies": 0]),
        (1, [("books", 5), ("movies", 30), ("games", 30)], ["books": 0, "movies": 1, "games": 0]),
        (1, [("books", 0), ("movies", 0), ("games", 1)], ["books": 0, "movies": 0, "games": 1]),
        (-5, [("books", 10)], ["books": 0]),
        // One type takes the whole batch up to its pending count.
        (40, [("books", 25)], ["books": 25]),
    ] as [(Int, Pending, [String: Int])])
    func allocate(batchSize: Int, pending: Pending, expected: [String: Int]) {
        let allocation = BatchAllocator(batchSize: batchSize).allocate(pending)
        #expect(allocation == expected)
        // Invariants: never above pending, and the batch is used fully when enough is pending.
        for (mediaType, count) in pending { #expect(allocation[mediaType]! <= max(0, count)) }
        let totalPending = pending.reduce(0) { $0 + max(0, $1.pending) }
        #expect(allocation.values.reduce(0, +) == min(max(0, batchSize), totalPending))
    }

    @Test("no media types: nothing to allocate")
    func empty() {
        #expect(BatchAllocator(batchSize: 40).allocate([] as Pending).isEmpty)
    }

    @Test("a repeated media type counts once, with its pending counts added")
    func repeated() {
        let allocation = BatchAllocator(batchSize: 9).allocate([("books", 2), ("movies", 50), ("books", 48)] as Pending)
        #expect(allocation == ["books": 5, "movies": 4])
    }

    @Test("the result never depends on where a capped type sits in the order")
    func orderOfCappedTypes() {
        let forward = BatchAllocator(batchSize: 25).allocate([("movies", 3), ("books", 100), ("games", 50), ("musics", 50)] as Pending)
        let backward = BatchAllocator(batchSize: 25).allocate([("books", 100), ("games", 50), ("musics", 50), ("movies", 3)] as Pending)
        #expect(forward == backward)
    }
}
