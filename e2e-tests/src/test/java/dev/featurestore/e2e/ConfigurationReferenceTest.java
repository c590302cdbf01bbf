package dev.featurestore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * README's configuration reference against the metadata Spring Boot's configuration processor
 * generates from the properties records (where every default lives): every {@code featurestore.*}
 * property of every service is listed, nothing listed is unknown, and each default README shows is
 * the record's.
 */
class ConfigurationReferenceTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern ROW =
      Pattern.compile("(?m)^\\| `(featurestore\\.[a-z0-9.-]+)` \\| [^|]+ \\| ([^|]+) \\|");
  private static final Pattern LITERAL = Pattern.compile("^`([^`]*)`");

  @Test
  void readmeListsEveryPropertyWithItsRecordDefault() throws IOException {
    Map<String, JsonNode> metadata = metadata();
    Map<String, String> readme = readmeRows();
    assertThat(metadata).as("metadata found on the classpath").isNotEmpty();
    assertThat(readme.keySet())
        .as("README rows")
        .containsExactlyInAnyOrderElementsOf(metadata.keySet());
    List<String> wrong = new ArrayList<>();
    readme.forEach(
        (name, defaultCell) -> {
          Matcher literal = LITERAL.matcher(defaultCell.trim());
          JsonNode declared = metadata.get(name).get("defaultValue");
          if (literal.find() && declared != null) {
            String expected = declared.isArray() ? join(declared) : declared.asString();
            if (!literal.group(1).equals(expected)) {
              wrong.add(name + ": README " + literal.group(1) + ", record " + expected);
            }
          }
        });
    assertThat(wrong).as("defaults that README states differently from the records").isEmpty();
  }

  private static String join(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asString()));
    return String.join(",", values);
  }

  /** featurestore.* properties of every module's generated metadata, by name. */
  private static Map<String, JsonNode> metadata() throws IOException {
    Map<String, JsonNode> properties = new TreeMap<>();
    JsonMapper json = JsonMapper.builder().build();
    for (URL url :
        Collections.list(
            ConfigurationReferenceTest.class
                .getClassLoader()
                .getResources("META-INF/spring-configuration-metadata.json"))) {
      try (InputStream in = url.openStream()) {
        for (JsonNode property : json.readTree(in).path("properties")) {
          String name = property.path("name").asString();
          if (name.startsWith("featurestore.")
              && !name.startsWith("featurestore.catalog.properties")) {
            properties.put(name, property);
          }
        }
      }
    }
    return properties;
  }

  /** The table rows of README's "Configuration reference": property name to default cell. */
  private static Map<String, String> readmeRows() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int start = readme.indexOf("## Configuration reference");
    String section = readme.substring(start, readme.indexOf("\n## ", start + 1));
    Map<String, String> rows = new TreeMap<>();
    Matcher row = ROW.matcher(section);
    while (row.find()) {
      rows.put(row.group(1), row.group(2));
    }
    return rows;
  }
}
