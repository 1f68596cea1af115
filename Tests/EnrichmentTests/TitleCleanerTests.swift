import Enrichment
import Testing

@Suite("Title cleaner")
struct TitleCleanerTests {
    @Test("retail titles lose edition, format and platform noise", arguments: [
        ("The Lost Fleet: Victorious - by Jack Campbell (Paperback)", "The Lost Fleet: Victorious"),
        ("The Matrix (Blu-ray)", "The Matrix"),
        ("Inception [DVD]", "Inception"),
        ("Dune (4K Ultra HD + Blu-ray + Digital)", "Dune"),
        ("The Shawshank Redemption (Widescreen Edition)", "The Shawshank Redemption"),
        ("Gladiator Widescreen Edition DVD", "Gladiator"),
        ("Blade Runner: The Final Cut (2-Disc Special Edition) [Blu-ray]", "Blade Runner: The Final Cut"),
        ("Aliens Collector's Edition", "Aliens"),
        ("Apocalypse Now Redux - Director's Cut", "Apocalypse Now Redux"),
        ("Mad Max: Fury Road Steelbook [Blu-ray + DVD]", "Mad Max: Fury Road"),
        ("The Dark Knight (Widescreen Two-Disc Special Edition)", "The Dark Knight"),
        ("Toy Story 3   Blu-ray/DVD Combo", "Toy Story 3"),
        ("Jurassic Park (1993) [Region 1]", "Jurassic Park"),
        ("Star Wars: The Empire Strikes Back (Special Edition) (Widescreen)", "Star Wars: The Empire Strikes Back"),
        ("Elden Ring - PlayStation 4", "Elden Ring"),
        ("Halo 5: Guardians (Xbox One)", "Halo 5: Guardians"),
        ("The Legend of Zelda: Breath of the Wild - Nintendo Switch", "The Legend of Zelda: Breath of the Wild"),
        ("Mario Kart 8 Deluxe Nintendo Switch", "Mario Kart 8 Deluxe"),
        ("The Witcher 3: Wild Hunt Game of the Year Edition - PS4", "The Witcher 3: Wild Hunt"),
        ("Red Dead Redemption 2 [PC]", "Red Dead Redemption 2"),
        ("Minecraft - Switch", "Minecraft"),
        ("The Switch (DVD)", "The Switch"),
    ])
    func cleans(_ retail: String, _ expected: String) {
        #expect(TitleCleaner.clean(retail) == expected)
    }

    @Test("titles without noise stay as they are", arguments: [
        "Interstellar", "Bait and Switch", "Amélie (Le Fabuleux Destin d'Amélie Poulain)", "Mission: Impossible", "Toy Story 3",
    ])
    func keeps(_ title: String) {
        #expect(TitleCleaner.clean(title) == title)
    }

    @Test("whitespace collapses and noise-only titles end empty")
    func whitespace() {
        #expect(TitleCleaner.clean("  The   Thing \t (Blu-ray)  ") == "The Thing")
        #expect(TitleCleaner.clean("[Blu-ray] (Widescreen)") == "")
    }
}
