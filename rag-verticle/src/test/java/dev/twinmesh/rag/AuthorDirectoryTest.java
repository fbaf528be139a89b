package dev.twinmesh.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthorDirectoryTest {

  @Test
  void authorsAreResolvedByIdNameSlugAliasOrUniqueFirstName(@TempDir Path dir) {
    AuthorDirectory d = AuthorDirectory.open(dir.resolve("authors.json"));
    d.register(new Author("ada", "Ada Lovelace", List.of("Countess of Lovelace")));
    d.register(new Author("turing", "Alan Turing"));
    d.register(new Author("kay", "Alan Kay"));
    for (String name : List.of("ada", "ADA", "Ada Lovelace", "ada-lovelace", "countess of lovelace", "Ada")) {
      assertEquals("ada", d.resolve(name).map(Author::id).orElse(null), name);
    }
    assertEquals(Optional.empty(), d.resolve("Alan"), "two Alans: ambiguous");
    assertEquals(Optional.empty(), d.resolve("Linus Torvalds"));
    assertEquals("turing", AuthorDirectory.open(dir.resolve("authors.json")).resolve("Alan Turing").orElseThrow().id(),
        "saved and read back");
  }

  @Test
  void theLongestMentionedNameWins() {
    AuthorDirectory d = AuthorDirectory.inMemory();
    d.register(new Author("alan", "Alan Turing"));
    d.register(new Author("ada", "Ada Lovelace", List.of("Ada")));
    assertEquals("alan", d.mentionedIn("what would alan turing say to Ada?").orElseThrow().id());
    assertTrue(d.mentionedIn("a Canadian question").isEmpty(), "whole words only");
  }
}
