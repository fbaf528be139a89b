package dev.twinmesh.common;

import java.util.List;

/**
 * Writing to put into an author's collections, as {@code POST /v1/ingest} receives it and {@code rag.ingest}
 * carries it.
 *
 * @param author        the author's id or name; a known author is resolved, an unknown one is added
 * @param authorName    the display name when {@code author} is an id (optional)
 * @param authorAliases other names a question may use for the author (optional)
 * @param type          {@code post}, {@code article} or {@code repository}
 * @param documents     the texts, each with where it came from
 */
public record IngestRequest(String author, String authorName, List<String> authorAliases, String type,
                            List<Document> documents) {

  public static final String POST = "post";
  public static final String ARTICLE = "article";
  public static final String REPOSITORY = "repository";
  public static final List<String> TYPES = List.of(POST, ARTICLE, REPOSITORY);
  /** How a document's content is written: {@code json} is an export holding many posts or articles. */
  public static final List<String> FORMATS = List.of("markdown", "text", "html", "json", "code");

  public IngestRequest {
    authorAliases = authorAliases == null ? List.of() : List.copyOf(authorAliases);
    documents = documents == null ? List.of() : List.copyOf(documents);
  }

  /**
   * @param source  a link or a path: cited as the chunk's source
   * @param content the raw text
   * @param format  one of {@link #FORMATS}; null means markdown for posts and articles, code for repositories
   */
  public record Document(String source, String content, String format) {}
}
