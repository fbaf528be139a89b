package dev.twinmesh.rag.retrieve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.rag.Author;
import dev.twinmesh.rag.AuthorDirectory;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelfQueryTest {
  private final SelfQuery selfQuery = new SelfQuery(directory());

  private static AuthorDirectory directory() {
    AuthorDirectory d = AuthorDirectory.inMemory();
    d.register(new Author("ada", "Ada Lovelace", List.of("Countess of Lovelace")));
    d.register(new Author("grace", "Grace Hopper"));
    return d;
  }

  @Test
  void theRequestsAuthorComesFirst() {
    SelfQuery.Result r = selfQuery.resolve("As Grace Hopper, write about loops", "Ada Lovelace");
    assertEquals("ada", r.filterId());
    assertEquals("request", r.how());
  }

  @Test
  void aKnownAuthorNamedInTheQuestionIsFound() {
    assertEquals("grace", selfQuery.resolve("As Grace Hopper, explain compilers", null).filterId());
    assertEquals("ada", selfQuery.resolve("what did the countess of lovelace think of music?", null).filterId());
  }

  @Test
  void aFirstNameAfterAsOrInTheStyleOfIsResolved() {
    assertEquals("grace", selfQuery.resolve("Write a post in the style of Grace about bugs", null).filterId());
    assertEquals("ada", selfQuery.resolve("Answer as Ada: what is a loop?", null).filterId());
  }

  @Test
  void anUnknownRequestedAuthorFiltersOnItsSlugAndIsFlagged() {
    SelfQuery.Result r = selfQuery.resolve("anything", "Linus Torvalds");
    assertEquals("linus-torvalds", r.filterId());
    assertNull(r.author());
    assertTrue(r.unknownAuthor());
  }

  @Test
  void withoutAnAuthorEveryoneIsSearched() {
    SelfQuery.Result r = selfQuery.resolve("As Java developers we like types", null);
    assertNull(r.filterId());
    assertEquals("none", r.how());
  }
}
