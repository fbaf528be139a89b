package dev.twinmesh.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IngestRequestsTest {

  @Test
  void aValidBodyParsesAndTravelsTheEventBusUnchanged() {
    IngestRequest r = IngestRequests.parse("{\"author\":\"ada\",\"author_name\":\"Ada Quill\",\"type\":\"articles\","
        + "\"documents\":[{\"source\":\"https://blog.example/rag\",\"content\":\"# RAG\",\"format\":\"Markdown\"},"
        + "{\"source\":\"notes.txt\",\"content\":\"plain\"}]}");
    assertEquals("ada", r.author());
    assertEquals("Ada Quill", r.authorName());
    assertEquals("article", r.type(), "collection names are accepted and made singular");
    assertEquals("markdown", r.documents().get(0).format());
    assertNull(r.documents().get(1).format(), "no format: the rag side picks one by type");
    assertEquals(r, Json.fromJsonObject(Json.toJsonObject(r), IngestRequest.class));
    assertEquals(List.of(), r.authorAliases());
  }

  @ParameterizedTest(name = "{0} -> param {1}")
  @CsvSource(delimiter = '|', value = {
      "{\"type\":\"post\",\"documents\":[{\"source\":\"a\",\"content\":\"x\"}]}|author",
      "{\"author\":\" \",\"type\":\"post\",\"documents\":[{\"source\":\"a\",\"content\":\"x\"}]}|author",
      "{\"author\":\"ada\",\"documents\":[{\"source\":\"a\",\"content\":\"x\"}]}|type",
      "{\"author\":\"ada\",\"type\":\"tweet\",\"documents\":[{\"source\":\"a\",\"content\":\"x\"}]}|type",
      "{\"author\":\"ada\",\"type\":\"post\"}|documents",
      "{\"author\":\"ada\",\"type\":\"post\",\"documents\":[]}|documents",
      "{\"author\":\"ada\",\"type\":\"post\",\"documents\":{}}|documents",
      "{\"author\":\"ada\",\"type\":\"post\",\"documents\":[\"x\"]}|documents[0]",
      "{\"author\":\"ada\",\"type\":\"post\",\"documents\":[{\"content\":\"x\"}]}|documents[0].source",
      "{\"author\":\"ada\",\"type\":\"post\",\"documents\":[{\"source\":\"a\",\"content\":\"x\"},{\"source\":\"b\"}]}|documents[1].content",
      "{\"author\":\"ada\",\"type\":\"post\",\"documents\":[{\"source\":\"a\",\"content\":7}]}|documents[0].content",
      "{\"author\":\"ada\",\"type\":\"post\",\"documents\":[{\"source\":\"a\",\"content\":\"x\",\"format\":\"pdf\"}]}|documents[0].format",
      "{\"author\":\"ada\",\"author_aliases\":[1],\"type\":\"post\",\"documents\":[{\"source\":\"a\",\"content\":\"x\"}]}|author_aliases[0]",
  })
  void badBodiesAreRefusedNamingTheField(String body, String param) {
    ApiException e = assertThrows(ApiException.class, () -> IngestRequests.parse(body));
    assertEquals(400, e.status());
    assertEquals(param, e.param(), e.getMessage());
  }

  @Test
  void aBodyThatIsNotAnObjectIsA400() {
    assertEquals(400, assertThrows(ApiException.class, () -> IngestRequests.parse("[1,2]")).status());
    assertEquals(400, assertThrows(ApiException.class, () -> IngestRequests.parse("{\"author\":")).status());
  }
}
