package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.twinmesh.rag.Author;
import dev.twinmesh.rag.ingest.DocumentType;
import dev.twinmesh.rag.ingest.SourceDocument;
import dev.twinmesh.rag.ingest.TextFormat;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@code twin-mesh ingest --url} cuts documents into requests. */
class IngestClientTest {
  private static final Author ADA = new Author("ada", "Ada");
  private static final Author LIN = new Author("lin", "Lin");

  private static SourceDocument doc(Author author, DocumentType type, int chars) {
    return new SourceDocument(author, type, "s", "x".repeat(chars), TextFormat.PLAIN);
  }

  @Test
  void aBatchHoldsOneAuthorAndOneTypeInOrder() {
    List<SourceDocument> docs = List.of(doc(ADA, DocumentType.POSTS, 10), doc(ADA, DocumentType.POSTS, 10),
        doc(ADA, DocumentType.ARTICLES, 10), doc(LIN, DocumentType.ARTICLES, 10), doc(LIN, DocumentType.ARTICLES, 10));
    assertEquals(List.of(2, 1, 2), IngestClient.batches(docs).stream().map(List::size).toList());
  }

  @Test
  void batchesStayUnderTheDocumentCountAndTheByteBudget() {
    List<SourceDocument> many = new ArrayList<>();
    for (int i = 0; i < IngestClient.BATCH_DOCUMENTS + 1; i++) {
      many.add(doc(ADA, DocumentType.POSTS, 10));
    }
    assertEquals(List.of(IngestClient.BATCH_DOCUMENTS, 1), IngestClient.batches(many).stream().map(List::size).toList());

    int third = IngestClient.BATCH_BYTES / 3;
    List<SourceDocument> large = List.of(doc(ADA, DocumentType.POSTS, third), doc(ADA, DocumentType.POSTS, third),
        doc(ADA, DocumentType.POSTS, third), doc(ADA, DocumentType.POSTS, 2 * IngestClient.BATCH_BYTES));
    assertEquals(List.of(2, 1, 1), IngestClient.batches(large).stream().map(List::size).toList(),
        "a document over the budget travels alone (the service answers 413 if it is over its limit too)");
  }
}
