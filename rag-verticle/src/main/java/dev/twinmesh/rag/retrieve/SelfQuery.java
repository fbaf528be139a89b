package dev.twinmesh.rag.retrieve;

import dev.twinmesh.rag.Author;
import dev.twinmesh.rag.AuthorDirectory;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides whose writing to search: the author the request names, else a known author the question
 * mentions, else a name the question asks to write as ("as Ada Lovelace, ...", "in the style of Grace
 * Hopper"). No author: every author's writing is searched.
 */
public final class SelfQuery {
  private static final Pattern WRITE_AS = Pattern.compile(
      "(?:\\bas|\\blike|\\bin the (?:voice|style|words) of|\\bwritten by|\\bby)\\s+"
          + "(\\p{Lu}[\\p{L}'.-]*(?:\\s+\\p{Lu}[\\p{L}'.-]*){0,3})");

  /**
   * @param author   who to search for, or null for everyone
   * @param filterId the author id every search filters on, or null for none
   * @param how      where the author came from: request, question, or none
   */
  public record Result(Author author, String filterId, String how) {
    static final Result EVERYONE = new Result(null, null, "none");

    public boolean unknownAuthor() {
      return filterId != null && author == null;
    }
  }

  private final AuthorDirectory authors;

  public SelfQuery(AuthorDirectory authors) {
    this.authors = authors;
  }

  public Result resolve(String question, String requestedAuthor) {
    if (requestedAuthor != null && !requestedAuthor.isBlank()) {
      // An author the directory does not know may still be in the store (ingested elsewhere): filter on the slug.
      return authors.resolve(requestedAuthor)
          .map(a -> new Result(a, a.id(), "request"))
          .orElseGet(() -> new Result(null, Author.slug(requestedAuthor), "request"));
    }
    Optional<Author> mentioned = authors.mentionedIn(question);
    if (mentioned.isPresent()) {
      return new Result(mentioned.get(), mentioned.get().id(), "question");
    }
    Matcher m = WRITE_AS.matcher(question == null ? "" : question);
    while (m.find()) {
      Optional<Author> named = authors.resolve(m.group(1));
      if (named.isPresent()) {
        return new Result(named.get(), named.get().id(), "question");
      }
    }
    return Result.EVERYONE;
  }
}
