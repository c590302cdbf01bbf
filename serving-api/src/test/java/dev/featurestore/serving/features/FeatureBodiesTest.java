package dev.featurestore.serving.features;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.FeatureVersion;
import dev.featurestore.api.OnlineFeature;
import dev.featurestore.api.OnlineFeatureCodec;
import dev.featurestore.api.StoredFeature;
import dev.featurestore.testing.FeatureRows;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** JSON answers: the floats exactly as stored, the same bytes whether written or kept. */
class FeatureBodiesTest {

  private static final UnpooledByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;
  private static final Instant AT = Instant.parse("2026-12-04T10:15:30.123456Z");

  @Test
  void aFeatureIsWrittenWithItsFloatsAndVersionAsStored() {
    FeatureRow row = FeatureRows.row("doc-1", 7, AT);
    JsonNode json = JsonMapper.builder().build().readTree(text(one("doc-1", 7, false)));

    assertThat(json.get("doc_id").asString()).isEqualTo("doc-1");
    assertThat(json.get("model").asString()).isEqualTo(FeatureRows.TEST_MODEL.name());
    assertThat(json.get("event_time").asString()).isEqualTo(row.eventTime().toString());
    assertThat(json.get("processed_at").asString()).isEqualTo(AT.toString());
    assertThat(json.get("snapshot_id").asLong()).isEqualTo(11);
    assertThat(json.get("sequence_number").asLong()).isEqualTo(3);
    float[] embedding = new float[json.get("embedding").size()];
    for (int i = 0; i < embedding.length; i++) {
      embedding[i] = json.get("embedding").get(i).floatValue();
    }
    assertThat(embedding).isEqualTo(row.embedding());
  }

  @Test
  void aPopularFeatureKeepsItsJsonAndAnswersWithTheSameBytes() {
    ServedFeature once = served("doc-1", 7);
    ServedFeature popular = served("doc-1", 7).popular();

    String written = text(FeatureBodies.json("doc-1", once, ALLOC));
    String first = text(FeatureBodies.json("doc-1", popular, ALLOC));
    assertThat(once.keptJson()).as("not served from the hot cache: nothing kept").isNull();
    assertThat(popular.keptJson()).isNotNull();
    String kept = text(FeatureBodies.json("doc-1", popular, ALLOC));

    assertThat(first).isEqualTo(written);
    assertThat(kept).isEqualTo(written);
  }

  @Test
  void aBatchReadsTheSameWithKeptAndWrittenFeatures() {
    List<String> ids = List.of("doc-1", "doc-2", "gone");
    Map<String, Optional<ServedFeature>> fresh = new LinkedHashMap<>();
    fresh.put("doc-1", Optional.of(served("doc-1", 1)));
    fresh.put("doc-2", Optional.of(served("doc-2", 2)));
    fresh.put("gone", Optional.empty());
    Map<String, Optional<ServedFeature>> popular = new LinkedHashMap<>();
    popular.put("doc-1", Optional.of(served("doc-1", 1).popular()));
    popular.put("doc-2", Optional.of(served("doc-2", 2).popular()));
    popular.put("gone", Optional.empty());

    String written = text(FeatureBodies.jsonBatch(ids, fresh, ALLOC));
    String keeping = text(FeatureBodies.jsonBatch(ids, popular, ALLOC));
    String kept = text(FeatureBodies.jsonBatch(ids, popular, ALLOC));

    assertThat(keeping).isEqualTo(written);
    assertThat(kept).isEqualTo(written);
    assertThat(written)
        .startsWith("{\"results\":[{\"doc_id\":\"doc-1\",\"found\":true,\"feature\":{\"doc_id\":")
        .endsWith(",{\"doc_id\":\"gone\",\"found\":false}],\"found\":2,\"missing\":1}");
    assertThat(written).contains(text(FeatureBodies.json("doc-2", served("doc-2", 2), ALLOC)));
  }

  private static ByteBuf one(String docId, long seed, boolean popular) {
    ServedFeature feature = served(docId, seed);
    return FeatureBodies.json(docId, popular ? feature.popular() : feature, ALLOC);
  }

  private static ServedFeature served(String docId, long seed) {
    OnlineFeature feature =
        OnlineFeature.of(FeatureRows.row(docId, seed, AT), FeatureVersion.of(11, 3));
    return new ServedFeature(StoredFeature.parse(OnlineFeatureCodec.encode(feature)));
  }

  private static String text(ByteBuf body) {
    try {
      return new String(ByteBufUtil.getBytes(body), StandardCharsets.UTF_8);
    } finally {
      body.release();
    }
  }
}
