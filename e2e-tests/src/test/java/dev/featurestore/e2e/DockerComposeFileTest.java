package dev.featurestore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Static checks of docker-compose.yml and the Dockerfiles it builds, so that `docker compose up`
 * does not fail late.
 */
class DockerComposeFileTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final List<String> APP_SERVICES =
      List.of("writer-service", "replicator-service", "serving-api");
  private static final Pattern COPY = Pattern.compile("(?i)^\\s*COPY\\s+(.*)$");

  private static Map<String, Object> compose;
  private static Map<String, Object> services;

  @BeforeAll
  static void parseComposeFile() throws IOException {
    Path file = ROOT.resolve("docker-compose.yml");
    assertThat(file).as("compose file under %s", ROOT).isRegularFile();
    try (Reader reader = Files.newBufferedReader(file)) {
      compose = new Yaml().load(reader);
    }
    services = map(compose.get("services"), "services");
  }

  @Test
  void definesTheInfrastructureAndTheThreeServices() {
    assertThat(services)
        .containsKeys(
            "kafka",
            "memcached-1",
            "memcached-2",
            "postgres",
            "writer-service",
            "replicator-service",
            "serving-api",
            "prometheus",
            "grafana");
  }

  /**
   * A real Compose implementation accepts the file: Debian's docker-compose (1.29, which {@code
   * ./featurestore test} installs) validates it against its schema and resolves anchors,
   * interpolation and paths without an engine. It predates the top-level {@code name} key of the
   * Compose specification (Compose v2 reads it), so that one line is left out of the copy it
   * checks.
   */
  @Test
  void dockerComposeValidatesTheFile() throws Exception {
    assertThat(compose).containsEntry("name", "featurestore");
    Path copy = ROOT.resolve("e2e-tests/target/docker-compose.check.yml");
    Files.createDirectories(copy.getParent());
    List<String> lines = Files.readAllLines(ROOT.resolve("docker-compose.yml"));
    assertThat(lines.removeIf(line -> line.equals("name: featurestore"))).isTrue();
    Files.write(copy, lines);
    Process process =
        new ProcessBuilder(
                "docker-compose",
                "--project-directory",
                ROOT.toString(),
                "-f",
                copy.toString(),
                "config",
                "-q")
            .redirectErrorStream(true)
            .start();
    String output =
        new String(
            process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("docker-compose config:%n%s", output).isZero();
  }

  @Test
  void imagesArePinnedToAVersion() {
    for (Map.Entry<String, Object> service : services.entrySet()) {
      Object image = map(service.getValue(), service.getKey()).get("image");
      assertThat(String.valueOf(image))
          .as("image of %s", service.getKey())
          .matches("[^:]+:[^:]+")
          .doesNotEndWith(":latest");
    }
  }

  @Test
  void everyBindMountedPathExists() throws IOException {
    int binds = 0;
    for (String name : services.keySet()) {
      for (Map.Entry<String, String> mount : mountsOf(name).entrySet()) {
        if (mount.getValue().startsWith(".") || mount.getValue().startsWith("/")) {
          binds++;
          assertThat(ROOT.resolve(mount.getValue()).normalize())
              .as("%s mounts %s at %s", name, mount.getValue(), mount.getKey())
              .exists();
        }
      }
    }
    assertThat(binds).isGreaterThanOrEqualTo(3);
  }

  @Test
  void appHealthchecksAskForReadinessOnTheServicesOwnPort() {
    for (String name : APP_SERVICES) {
      Map<String, Object> healthcheck =
          map(map(services.get(name), name).get("healthcheck"), name + ".healthcheck");
      String test = String.valueOf(healthcheck.get("test"));
      assertThat(test)
          .as("%s healthcheck", name)
          .contains(
              "http://localhost:"
                  + environment(name).get("SERVER_PORT")
                  + "/actuator/health/readiness");
    }
  }

  @Test
  void appServicesShareTwoMemcachedServersThePostgresCatalogAndALogSwitch() {
    Map<String, String> writer = environment("writer-service");
    for (String name : APP_SERVICES) {
      Map<String, String> env = environment(name);
      List<String> memcached = hosts(env.get("FEATURESTORE_MEMCACHED_SERVERS"));
      assertThat(memcached)
          .as("%s memcached servers", name)
          .hasSizeGreaterThanOrEqualTo(2)
          .doesNotHaveDuplicates();
      // consistent hashing: the same servers in the same order everywhere
      assertThat(env.get("FEATURESTORE_MEMCACHED_SERVERS"))
          .isEqualTo(writer.get("FEATURESTORE_MEMCACHED_SERVERS"));
      assertThat(env.get("FEATURESTORE_CATALOG_TABLE"))
          .isEqualTo(writer.get("FEATURESTORE_CATALOG_TABLE"))
          .isNotBlank();
      assertThat(env)
          .as("%s log format switch", name)
          .containsEntry("LOGGING_STRUCTURED_FORMAT_CONSOLE", "${FEATURESTORE_LOG_FORMAT:-}");
      JsonNode catalog =
          JsonMapper.builder()
              .build()
              .readTree(env.get("SPRING_APPLICATION_JSON"))
              .at("/featurestore/catalog/properties");
      assertThat(catalog.get("uri").asString())
          .as("%s catalog", name)
          .startsWith("jdbc:postgresql://postgres:5432/");
      // a hung database must not hang commits, cycles and readiness checks
      assertThat(catalog.get("uri").asString())
          .as("%s catalog", name)
          .contains("connectTimeout=", "socketTimeout=");
      assertThat(map(services.get(name), name))
          .as("%s restart policy", name)
          .containsEntry("restart", "unless-stopped");
    }
  }

  @Test
  void prometheusScrapesEveryAppServiceOnItsPortAndLoadsTheRules() throws Exception {
    assertThat(mountsOf("prometheus")).containsEntry("/etc/prometheus", "./ops/prometheus");
    Map<String, Object> config;
    try (Reader reader =
        Files.newBufferedReader(AlertRulesTest.RULES_DIR.resolve("prometheus.yml"))) {
      config = new Yaml().load(reader);
    }
    List<String> targets = new ArrayList<>();
    for (Object job : (List<?>) config.get("scrape_configs")) {
      Map<String, Object> scrape = map(job, "scrape_config");
      assertThat(scrape.get("metrics_path")).isEqualTo("/actuator/prometheus");
      for (Object staticConfig : (List<?>) scrape.get("static_configs")) {
        ((List<?>) map(staticConfig, "static_config").get("targets"))
            .forEach(target -> targets.add(String.valueOf(target)));
      }
    }
    assertThat(targets)
        .containsExactlyInAnyOrderElementsOf(
            APP_SERVICES.stream()
                .map(name -> name + ":" + environment(name).get("SERVER_PORT"))
                .toList());
    // valid syntax, and every rule file it names exists and is valid
    assertThat(AlertRulesTest.promtool("check", "config", "prometheus.yml"))
        .contains(
            "SUCCESS: 1 rule files found",
            "SUCCESS: " + AlertRulesTest.expressions().size() + " rules found");
  }

  @Test
  void anchorsAndMergeKeysAreResolved() {
    for (String name : APP_SERVICES) {
      Map<String, String> env = environment(name);
      assertThat(env)
          .as("environment of %s", name)
          .doesNotContainKey("<<")
          .containsKey("SERVER_PORT")
          .containsKey("FEATURESTORE_STATE_DIR");
      assertThat(dependsOn(name))
          .as("depends_on of %s", name)
          .doesNotContain("<<")
          .contains("kafka", "memcached-1", "memcached-2", "postgres");
    }
    assertThat(environment("writer-service").get("SERVER_PORT"))
        .isNotEqualTo(environment("serving-api").get("SERVER_PORT"));
  }

  @Test
  void everyServiceHasAHealthcheckWithATest() {
    for (Map.Entry<String, Object> service : services.entrySet()) {
      Map<String, Object> spec = map(service.getValue(), service.getKey());
      assertThat(spec).as("service %s", service.getKey()).containsKey("healthcheck");
      Map<String, Object> healthcheck =
          map(spec.get("healthcheck"), service.getKey() + ".healthcheck");
      assertThat(healthcheck.get("disable"))
          .as("%s healthcheck disabled", service.getKey())
          .isNotEqualTo(true);
      Object test = healthcheck.get("test");
      if (test instanceof List<?> command) {
        assertThat(command).as("%s healthcheck test", service.getKey()).hasSizeGreaterThan(1);
        assertThat(command.get(0))
            .as("%s healthcheck test form", service.getKey())
            .isIn("CMD", "CMD-SHELL");
        assertThat(command.subList(1, command.size()))
            .allSatisfy(part -> assertThat(String.valueOf(part)).isNotBlank());
      } else {
        assertThat(test).as("%s healthcheck test", service.getKey()).isInstanceOf(String.class);
        assertThat((String) test).isNotBlank().isNotEqualTo("NONE");
      }
    }
  }

  @Test
  void everyBuildContextAndDockerfileExists() {
    int builds = 0;
    for (Map.Entry<String, Object> service : services.entrySet()) {
      Map<String, Object> spec = map(service.getValue(), service.getKey());
      if (spec.containsKey("build")) {
        builds++;
        Path context = buildContext(spec);
        assertThat(context).as("build context of %s", service.getKey()).isDirectory();
        assertThat(dockerfile(spec)).as("Dockerfile of %s", service.getKey()).isRegularFile();
      }
    }
    assertThat(builds).isGreaterThanOrEqualTo(APP_SERVICES.size());
  }

  @Test
  void everyPathCopiedFromTheBuildContextExists() throws IOException {
    for (Map.Entry<String, Object> service : services.entrySet()) {
      Map<String, Object> spec = map(service.getValue(), service.getKey());
      if (!spec.containsKey("build")) {
        continue;
      }
      Path context = buildContext(spec);
      for (String source : copiedSources(dockerfile(spec))) {
        assertThat(context.resolve(source))
            .as("%s: COPY source %s in context %s", service.getKey(), source, context)
            .exists();
      }
    }
  }

  @Test
  // one Dockerfile line per string: a text block would hide the line continuations under test
  @SuppressWarnings("StringConcatToTextBlock")
  void copiedSourcesParserSeesFlagsContinuationsAndJsonForm() throws IOException {
    Path dockerfile = Files.createTempFile("Dockerfile", "");
    try {
      Files.writeString(
          dockerfile,
          String.join(
              "\n",
              "FROM scratch AS build",
              "COPY . .",
              "copy --chown=1:1 pom.xml common/pom.xml /src/",
              "COPY --from=build /app.jar /app.jar",
              "COPY --link \\",
              "    docker/Dockerfile \\",
              "    /x/",
              "COPY [\"scripts\", \"/opt/scripts\"]",
              "# COPY commented-out /nowhere",
              "RUN echo COPY nothing"));
      assertThat(copiedSources(dockerfile))
          .containsExactly("pom.xml", "common/pom.xml", "docker/Dockerfile", "scripts");
    } finally {
      Files.delete(dockerfile);
    }
  }

  @Test
  void everyDependencyNamesAnExistingService() {
    for (String name : services.keySet()) {
      assertThat(dependsOn(name))
          .as("depends_on of %s", name)
          .isSubsetOf(services.keySet())
          .doesNotContain(name);
    }
    assertThat(dependsOn("replicator-service")).contains("writer-service");
  }

  @Test
  void everyNamedVolumeIsDeclared() {
    Set<String> declared =
        compose.get("volumes") == null ? Set.of() : map(compose.get("volumes"), "volumes").keySet();
    List<String> used = new ArrayList<>();
    for (Map.Entry<String, Object> service : services.entrySet()) {
      Object volumes = map(service.getValue(), service.getKey()).get("volumes");
      if (volumes == null) {
        continue;
      }
      for (Object volume : (List<?>) volumes) {
        String source;
        if (volume instanceof Map<?, ?> longSyntax) {
          if (!"volume".equals(longSyntax.get("type"))) {
            continue;
          }
          source = String.valueOf(longSyntax.get("source"));
        } else {
          String shortSyntax = String.valueOf(volume);
          if (!shortSyntax.contains(":")) {
            continue; // anonymous volume
          }
          source = shortSyntax.substring(0, shortSyntax.indexOf(':'));
        }
        if (!source.startsWith("/")
            && !source.startsWith(".")
            && !source.startsWith("~")
            && !source.startsWith("$")) {
          used.add(source);
          assertThat(declared).as("volume %s of %s", source, service.getKey()).contains(source);
        }
      }
    }
    assertThat(used).contains("warehouse");
  }

  @Test
  void appServicesReachKafkaAndMemcachedByServiceName() {
    for (String name : APP_SERVICES) {
      Map<String, String> env = environment(name);
      assertThat(env)
          .as("environment of %s", name)
          .containsKeys("SPRING_KAFKA_BOOTSTRAP_SERVERS", "FEATURESTORE_MEMCACHED_SERVERS");
      assertThat(hosts(env.get("SPRING_KAFKA_BOOTSTRAP_SERVERS")))
          .as("%s kafka hosts", name)
          .isNotEmpty()
          .isSubsetOf(services.keySet());
      assertThat(hosts(env.get("FEATURESTORE_MEMCACHED_SERVERS")))
          .as("%s memcached hosts", name)
          .isNotEmpty()
          .isSubsetOf(services.keySet());
    }
  }

  @Test
  void appServicesListenOnAllInterfacesInsideTheirContainers() {
    // the services bind 127.0.0.1 by default: in a container neither the port mapping nor the
    // healthcheck of
    // another container would reach them
    for (String name : APP_SERVICES) {
      assertThat(environment(name))
          .as("environment of %s", name)
          .containsEntry("SERVER_ADDRESS", "0.0.0.0");
    }
  }

  @Test
  void springApplicationJsonIsAValidJsonObject() {
    JsonMapper json = JsonMapper.builder().build();
    for (String name : services.keySet()) {
      String value = environment(name).get("SPRING_APPLICATION_JSON");
      if (value != null) {
        JsonNode node;
        try {
          node = json.readTree(value);
        } catch (JacksonException e) {
          throw new AssertionError(
              "SPRING_APPLICATION_JSON of " + name + " is not JSON: " + e.getOriginalMessage(), e);
        }
        assertThat(node.isObject()).as("SPRING_APPLICATION_JSON of %s: %s", name, value).isTrue();
      }
    }
  }

  private static Path buildContext(Map<String, Object> spec) {
    Object build = spec.get("build");
    String context =
        build instanceof Map<?, ?> map
            ? String.valueOf(map.get("context") == null ? "." : map.get("context"))
            : String.valueOf(build);
    return ROOT.resolve(context).normalize();
  }

  private static Path dockerfile(Map<String, Object> spec) {
    Object build = spec.get("build");
    Object dockerfile = build instanceof Map<?, ?> map ? map.get("dockerfile") : null;
    return buildContext(spec)
        .resolve(dockerfile == null ? "Dockerfile" : String.valueOf(dockerfile))
        .normalize();
  }

  /**
   * The context paths COPY-ed by a Dockerfile, except `.` and copies from another stage (--from).
   */
  private static List<String> copiedSources(Path dockerfile) throws IOException {
    List<String> instructions = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(dockerfile)) {
      if (current.isEmpty() && line.stripLeading().startsWith("#")) {
        continue;
      }
      String stripped = line.stripTrailing();
      if (stripped.endsWith("\\")) {
        current.append(stripped, 0, stripped.length() - 1).append(' ');
      } else {
        instructions.add(current.append(stripped).toString());
        current.setLength(0);
      }
    }
    List<String> sources = new ArrayList<>();
    for (String instruction : instructions) {
      Matcher copy = COPY.matcher(instruction);
      if (!copy.matches()) {
        continue;
      }
      List<String> args = new ArrayList<>(List.of(copy.group(1).trim().split("\\s+")));
      if (args.stream().anyMatch(arg -> arg.startsWith("--from"))) {
        continue;
      }
      args.removeIf(arg -> arg.startsWith("--"));
      String rest = String.join(" ", args);
      if (rest.startsWith("[")) {
        args = new ArrayList<>();
        for (JsonNode arg : JsonMapper.builder().build().readTree(rest)) {
          args.add(arg.asString());
        }
      }
      assertThat(args)
          .as("COPY arguments in %s: %s", dockerfile, instruction)
          .hasSizeGreaterThan(1);
      args.subList(0, args.size() - 1).stream()
          .filter(source -> !source.equals("."))
          .forEach(sources::add);
    }
    return sources;
  }

  private static Map<String, String> environment(String service) {
    Object environment = map(services.get(service), service).get("environment");
    Map<String, String> env = new LinkedHashMap<>();
    if (environment instanceof Map<?, ?> map) {
      map.forEach(
          (key, value) ->
              env.put(String.valueOf(key), value == null ? null : String.valueOf(value)));
    } else if (environment instanceof List<?> list) {
      for (Object entry : list) {
        String[] pair = String.valueOf(entry).split("=", 2);
        env.put(pair[0], pair.length > 1 ? pair[1] : null);
      }
    }
    return env;
  }

  /**
   * The volumes of a service, short syntax: container path to source (a named volume or a host
   * path).
   */
  static Map<String, String> mountsOf(String service) throws IOException {
    if (services == null) {
      parseComposeFile();
    }
    Object volumes = map(services.get(service), service).get("volumes");
    Map<String, String> mounts = new LinkedHashMap<>();
    if (volumes != null) {
      for (Object volume : (List<?>) volumes) {
        String[] parts = String.valueOf(volume).split(":");
        if (parts.length >= 2) {
          mounts.put(parts[1], parts[0]);
        }
      }
    }
    return mounts;
  }

  private static List<String> dependsOn(String service) {
    Object dependsOn = map(services.get(service), service).get("depends_on");
    if (dependsOn == null) {
      return List.of();
    }
    if (dependsOn instanceof Map<?, ?> map) {
      return map.keySet().stream().map(String::valueOf).toList();
    }
    return ((List<?>) dependsOn).stream().map(String::valueOf).toList();
  }

  /** The host names of a comma-separated host:port list. */
  private static List<String> hosts(String servers) {
    return servers == null
        ? List.of()
        : List.of(servers.split(",")).stream()
            .map(String::trim)
            .map(s -> s.replaceFirst(":\\d+$", ""))
            .toList();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value, String what) {
    assertThat(value).as(what).isInstanceOf(Map.class);
    return (Map<String, Object>) value;
  }
}
