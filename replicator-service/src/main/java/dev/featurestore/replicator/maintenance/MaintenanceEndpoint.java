package dev.featurestore.replicator.maintenance;

import dev.featurestore.spring.web.ErrorMetric;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.convert.DurationStyle;

/**
 * {@code POST /actuator/maintenance}: one maintenance run now, answered with its report ({@code
 * ./featurestore maintain}). Optional JSON fields {@code expireOlderThan} and {@code
 * orphansOlderThan} ({@code 10m}, {@code PT1H}) override the configured retention and orphan safety
 * age for this run. 409 while another run holds the lease.
 */
@Endpoint(id = "maintenance")
public final class MaintenanceEndpoint {

  private static final Logger LOG = LoggerFactory.getLogger(MaintenanceEndpoint.class);

  private final TableMaintenance maintenance;
  private final MaintenanceOptions defaults;
  private final EndpointProblems problems;

  public MaintenanceEndpoint(
      TableMaintenance maintenance, MaintenanceOptions defaults, ErrorMetric errors) {
    this.maintenance = maintenance;
    this.defaults = defaults;
    this.problems = new EndpointProblems(errors);
  }

  @WriteOperation
  public WebEndpointResponse<Map<String, Object>> run(
      @Nullable String expireOlderThan, @Nullable String orphansOlderThan) {
    MaintenanceOptions options = defaults;
    try {
      if (expireOlderThan != null) {
        options = options.withSnapshotRetention(parse("expireOlderThan", expireOlderThan));
      }
      if (orphansOlderThan != null) {
        options = options.withOrphanMinAge(parse("orphansOlderThan", orphansOlderThan));
      }
    } catch (IllegalArgumentException e) {
      return problems.problem(
          WebEndpointResponse.STATUS_BAD_REQUEST,
          "Invalid maintenance request",
          "invalid-maintenance-request",
          e.getMessage());
    }
    try {
      return new WebEndpointResponse<>(maintenance.run(options).toMap());
    } catch (TableMaintenance.LeaseUnavailableException e) {
      return problems.problem(
          409, "Maintenance already running", "maintenance-running", e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("Maintenance run failed", e);
      return problems.problem(
          WebEndpointResponse.STATUS_INTERNAL_SERVER_ERROR,
          "Maintenance failed",
          "maintenance-failed",
          "The maintenance run failed (the replicator's log has the cause); the next scheduled run retries it");
    }
  }

  private static Duration parse(String field, String value) {
    try {
      Duration duration = DurationStyle.detectAndParse(value);
      if (duration.isNegative()) {
        throw new IllegalArgumentException("Invalid " + field + ": " + value + " (negative)");
      }
      return duration;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Invalid " + field + ": " + value + " (expected a duration such as 10m, 36h or PT1H)", e);
    }
  }
}
