package dev.featurestore.training.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.iceberg.CatalogProperties;

/**
 * The Spark recipe of docs/TRAINING.md, run as a user runs it: {@code ./featurestore spark-sql -f},
 * Spark local in a process of its own, its jars resolved once per checkout.
 */
public final class SparkRecipe {

  private static final Path ROOT = repositoryRoot();

  private SparkRecipe() {}

  /**
   * The recipe with {@code entities} and {@code out} in place of its example paths, reading the
   * table as the tag {@code dataset} pinned it (null: as it is now).
   */
  public static String recipe(Path entities, Path out, String dataset) {
    String doc;
    try {
      doc = Files.readString(ROOT.resolve("docs").resolve("TRAINING.md"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Matcher block =
        Pattern.compile(
                "<!-- spark-recipe:start -->\\s*```sql\\n(.*?)```\\s*<!-- spark-recipe:end -->",
                Pattern.DOTALL)
            .matcher(doc);
    if (!block.find()) {
      throw new AssertionError("no Spark recipe in docs/TRAINING.md");
    }
    String sql =
        block
            .group(1)
            .replace("'labels.csv'", "'" + entities.toAbsolutePath() + "'")
            .replace("DIRECTORY 'train'", "DIRECTORY '" + out.toAbsolutePath() + "'");
    if (dataset != null) {
      sql =
          sql.replace(
              "featurestore.featurestore.document_embeddings f",
              "featurestore.featurestore.document_embeddings VERSION AS OF '" + dataset + "' f");
    }
    return sql;
  }

  /**
   * Runs {@code sql} with {@code ./featurestore spark-sql} on the catalog of these resolved
   * properties (as {@code CatalogSettings.resolvedProperties} gives them); returns its wall time in
   * seconds. Its output goes to {@code work/spark.log}.
   */
  public static double run(Path work, String sql, Map<String, String> catalogProperties)
      throws IOException, InterruptedException {
    Path script = work.resolve("recipe.sql");
    Files.writeString(script, sql);
    List<String> command =
        new ArrayList<>(List.of(ROOT.resolve("featurestore").toString(), "spark-sql"));
    catalogProperties.forEach(
        (key, value) -> {
          // Spark names the catalog type and brings its own file IO
          if (!key.equals(CatalogProperties.CATALOG_IMPL)
              && !key.equals(CatalogProperties.FILE_IO_IMPL)) {
            command.add("--conf");
            command.add("spark.sql.catalog.featurestore." + key + "=" + value);
          }
        });
    command.addAll(List.of("-f", script.toString()));
    Path log = work.resolve("spark.log");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    // Spark's jars once per checkout, outside any one test's directory
    builder.environment().put("FEATURESTORE_HOME", ROOT.resolve("target/spark-home").toString());
    long start = System.nanoTime();
    Process spark = builder.start();
    if (!spark.waitFor(30, TimeUnit.MINUTES)) {
      spark.destroyForcibly();
      throw new AssertionError("Spark did not finish within 30 minutes: " + Files.readString(log));
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (spark.exitValue() != 0) {
      throw new AssertionError("spark-sql failed: " + Files.readString(log));
    }
    return seconds;
  }

  private static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("featurestore"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("Not inside the repository: " + Path.of("").toAbsolutePath());
    }
    return dir;
  }
}
