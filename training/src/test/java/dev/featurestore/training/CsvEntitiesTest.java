package dev.featurestore.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CsvEntitiesTest {

  @Test
  void readsQuotedFieldsAcrossLinesCrLfABomBlankLinesAndEmptyFields() {
    List<Entity> entities =
        read(
            "\uFEFFlabel,doc_id,timestamp,note\r\n"
                + "\"a, quoted\",d1,2026-12-01T10:00:00Z,\"two\nlines\"\r\n"
                + "\r\n"
                + "\"say \"\"hi\"\"\",d2,2026-12-01T11:00:00.5+01:00,\r\n"
                + ",\"d3\",2026-12-01t10:00:00z,\"\"");

    assertThat(entities)
        .extracting(Entity::docId, Entity::asOf)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("d1", Instant.parse("2026-12-01T10:00:00Z")),
            org.assertj.core.groups.Tuple.tuple("d2", Instant.parse("2026-12-01T10:00:00.5Z")),
            org.assertj.core.groups.Tuple.tuple("d3", Instant.parse("2026-12-01T10:00:00Z")));
    assertThat(new ArrayList<Object>(entities.get(0).passThrough()))
        .containsExactly("a, quoted", "two\nlines");
    assertThat(new ArrayList<Object>(entities.get(1).passThrough()))
        .containsExactly("say \"hi\"", null);
    assertThat(new ArrayList<Object>(entities.get(2).passThrough())).containsExactly(null, "");
  }

  @Test
  void namesTheLineARecordStartsOnEvenAfterMultiLineFields() {
    assertThatThrownBy(
            () ->
                read(
                    "doc_id,timestamp,note\n"
                        + "d1,2026-12-01T10:00:00Z,\"a\nb\nc\"\n"
                        + "d2,not a time,x\n"))
        .isInstanceOf(EntityFileException.class)
        .hasMessage(
            "e.csv:5: column 2 (timestamp): unparseable timestamp 'not a time' (expected RFC 3339"
                + " with an offset, such as 2026-12-03T10:15:30Z)")
        .satisfies(e -> assertThat(((EntityFileException) e).line()).isEqualTo(5));
  }

  @Test
  void rejectsBrokenFilesWithTheirLine() {
    assertThatThrownBy(() -> read("doc_id,timestamp\nd1,\"2026-12-01T10:00:00Z"))
        .hasMessageContaining("e.csv:2: a quoted field is not closed");
    assertThatThrownBy(() -> read("doc_id,timestamp\nd1,\"2026\"x"))
        .hasMessageContaining("e.csv:2: field 2: characters after a closing quote");
    assertThatThrownBy(() -> read("doc_id,doc_id,timestamp\n"))
        .hasMessageContaining("e.csv:1: column 'doc_id' appears twice");
    assertThatThrownBy(() -> read("doc_id,,timestamp\n"))
        .hasMessageContaining("e.csv:1: column 2 of the header has no name");
    assertThatThrownBy(() -> read("doc_id,timestamp\n,2026-12-01T10:00:00Z\n"))
        .hasMessageContaining("e.csv:2: column 1 (doc_id): invalid doc id: empty");
    assertThatThrownBy(() -> read(new byte[CsvEntities.MAX_FIELD_CHARS + 1]))
        .hasMessageContaining("e.csv:1: field 1 is longer than 1048576 characters");
    byte[] latin1 =
        "doc_id,timestamp\ncaf\u00e9,2026-12-01T10:00:00Z\n".getBytes(StandardCharsets.ISO_8859_1);
    assertThatThrownBy(() -> read(latin1))
        .hasMessageContaining("e.csv:2: field 1: not valid UTF-8");
  }

  private static List<Entity> read(String text) {
    return read(text.getBytes(StandardCharsets.UTF_8));
  }

  private static List<Entity> read(byte[] bytes) {
    List<Entity> entities = new ArrayList<>();
    CsvEntities csv = new CsvEntities("e.csv", new ByteArrayInputStream(bytes));
    csv.forEachRemaining(entities::add);
    return entities;
  }

  @Test
  void readsTheColumnsAroundTheRequiredOnes() {
    CsvEntities csv =
        new CsvEntities(
            "e.csv",
            new ByteArrayInputStream("x,timestamp,y,doc_id,z\n".getBytes(StandardCharsets.UTF_8)));
    assertThat(csv.passThroughColumns()).isEqualTo(Arrays.asList("x", "y", "z"));
    assertThat(csv.hasNext()).isFalse();
  }
}
