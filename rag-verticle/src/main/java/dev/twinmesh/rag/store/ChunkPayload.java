package dev.twinmesh.rag.store;

/**
 * What a point carries besides its vector: whose writing it is, where it came from, and the chunk itself.
 *
 * @param authorId    the author's stable id, the filter of every search
 * @param authorName  the author's display name
 * @param type        posts, articles or repositories
 * @param source      a link or a file path
 * @param content     the chunk's text
 * @param chunkIndex  the chunk's place in its document, from 0
 * @param contentHash SHA-256 of the content, hex
 */
public record ChunkPayload(String authorId, String authorName, String type, String source, String content,
                           int chunkIndex, String contentHash) {
  public static final String AUTHOR_ID = "author_id";
  public static final String AUTHOR_NAME = "author_name";
  public static final String TYPE = "type";
  public static final String SOURCE = "source";
  public static final String CONTENT = "content";
  public static final String CHUNK_INDEX = "chunk_index";
  public static final String CONTENT_HASH = "content_hash";
}
