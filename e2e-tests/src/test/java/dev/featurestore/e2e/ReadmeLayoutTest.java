package dev.featurestore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README's Layout table names exactly the Maven modules of the root pom, so a newcomer's map is the
 * real one.
 */
class ReadmeLayoutTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @Test
  void theLayoutTableListsEveryModuleAndNoOther() throws IOException {
    Set<String> modules = new LinkedHashSet<>();
    Matcher module =
        Pattern.compile("<module>([^<]+)</module>")
            .matcher(Files.readString(ROOT.resolve("pom.xml")));
    while (module.find()) {
      modules.add(module.group(1));
    }
    String readme = Files.readString(ROOT.resolve("README.md"));
    String layout = readme.substring(readme.indexOf("## Layout"));
    layout =
        layout.substring(
            0, layout.indexOf("\n## ", 1) > 0 ? layout.indexOf("\n## ", 1) : layout.length());
    Set<String> listed = new LinkedHashSet<>();
    // a module row: | `name/` | ... ; rows naming several paths or files are not modules
    Matcher row = Pattern.compile("(?m)^\\| `([a-z0-9-]+)/` \\|").matcher(layout);
    while (row.find()) {
      if (Files.exists(ROOT.resolve(row.group(1)).resolve("pom.xml"))) {
        listed.add(row.group(1));
      } else {
        listed.add(row.group(1) + " (no pom.xml)");
      }
    }
    assertThat(listed).containsExactlyInAnyOrderElementsOf(modules);
  }
}
