import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Spark SQL (local) on the store's Iceberg catalog, as {@code ./featurestore spark-sql} runs it:
 * {@code -e "SQL; SQL"}, {@code -f FILE}, or statements from standard input (ended by {@code ;}).
 * Results print as tab-separated rows; the first failing statement prints its error and exits 1.
 * The catalog comes from system properties {@code spark.sql.catalog.*} set by the launcher; {@code
 * --conf KEY=VALUE} overrides any setting (a PostgreSQL catalog, say).
 */
public class SparkSql {

  public static void main(String[] args) throws Exception {
    String script = null;
    java.util.Map<String, String> conf = new java.util.LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--conf") && i + 1 < args.length && args[i + 1].indexOf('=') > 0) {
        String setting = args[++i];
        conf.put(setting.substring(0, setting.indexOf('=')), setting.substring(setting.indexOf('=') + 1));
      } else if (args[i].equals("-e") && i + 1 < args.length) {
        script = args[++i];
      } else if (args[i].equals("-f") && i + 1 < args.length) {
        script = Files.readString(Path.of(args[++i]), StandardCharsets.UTF_8);
      } else {
        System.err.println("spark-sql: usage: spark-sql [--conf KEY=VALUE]... [-e SQL | -f FILE]");
        System.exit(2);
      }
    }
    SparkSession.Builder builder = SparkSession.builder();
    conf.forEach(builder::config);
    SparkSession spark =
        builder
            .master(System.getProperty("spark.master", "local[2]"))
            .appName("featurestore-spark-sql")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config(
                "spark.sql.extensions",
                "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
            .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    int code = 0;
    try {
      if (script != null) {
        code = runAll(spark, statements(script));
      } else {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder pending = new StringBuilder();
        boolean terminal = System.console() != null;
        if (terminal) {
          System.out.print("spark-sql> ");
          System.out.flush();
        }
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          pending.append(line).append('\n');
          if (line.strip().endsWith(";")) {
            int failed = runAll(spark, statements(pending.toString()));
            code = terminal ? 0 : Math.max(code, failed);
            pending.setLength(0);
            if (failed != 0 && !terminal) {
              break;
            }
          }
          if (terminal) {
            System.out.print(pending.isEmpty() ? "spark-sql> " : "         > ");
            System.out.flush();
          }
        }
        if (code == 0 && !pending.toString().isBlank()) {
          code = runAll(spark, statements(pending.toString()));
        }
      }
    } finally {
      spark.stop();
    }
    System.exit(code);
  }

  private static int runAll(SparkSession spark, List<String> statements) {
    for (String sql : statements) {
      try {
        Dataset<Row> result = spark.sql(sql);
        if (result.schema().isEmpty()) {
          continue;
        }
        for (Row row : result.collectAsList()) {
          StringBuilder line = new StringBuilder();
          for (int i = 0; i < row.length(); i++) {
            if (i > 0) {
              line.append('\t');
            }
            Object value = row.get(i);
            line.append(value instanceof scala.collection.Seq<?> seq ? seq.mkString("[", ",", "]") : String.valueOf(value));
          }
          System.out.println(line);
        }
      } catch (Exception e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        System.err.println("spark-sql: " + message.lines().findFirst().orElse(message));
        return 1;
      }
    }
    return 0;
  }

  /** Splits on semicolons outside quotes. */
  private static List<String> statements(String script) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    char quote = 0;
    for (char c : script.toCharArray()) {
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"' || c == '`') {
        quote = c;
      } else if (c == ';') {
        if (!current.toString().isBlank()) {
          statements.add(current.toString().strip());
        }
        current.setLength(0);
        continue;
      }
      current.append(c);
    }
    if (!current.toString().isBlank()) {
      statements.add(current.toString().strip());
    }
    return statements;
  }
}
