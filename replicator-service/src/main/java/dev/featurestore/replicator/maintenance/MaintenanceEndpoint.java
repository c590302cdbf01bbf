package dev.featurestore.replicator.maintenance;

import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.convert.DurationStyle;

/**
 * {@code POST /actuator/maintenance}: one maintenance run now, answered with its report ({@code ./featurestore
 * maintain}). Optional JSON fields {@code expireOlderThan} and {@code orphansOlderThan} ({@code 10m}, {@code PT1H})
 * override the configured retention and orphan safety age for this run. 409 while another run holds the lease.
 */
@Endpoint(id = "maintenance")
public final class MaintenanceEndpoint {

  private final TableMaintenance maintenance;
  private final MaintenanceOptions defaults;

  public MaintenanceEndpoint(TableMaintenance maintenance, MaintenanceOptions defaults) {
    this.maintenance = maintenance;
    this.defaults = defaults;
  }

  @WriteOperation
  public WebEndpointResponse<Map<String, Object>> run(@Nullable String expireOlderThan, @Nullable String orphansOlderThan) {
    MaintenanceOptions options = defaults;
    try {
      if (expireOlderThan != null) {
        options = options.withSnapshotRetention(parse("expireOlderThan", expireOlderThan));
      }
      if (orphansOlderThan != null) {
        options = options.withOrphanMinAge(parse("orphansOlderThan", orphansOlderThan));
      }
    } catch (IllegalArgumentException e) {
      return problem(WebEndpointResponse.STATUS_BAD_REQUEST, e.getMessage());
    }
    try {
      return new WebEndpointResponse<>(maintenance.run(options).toMap());
    } catch (TableMaintenance.LeaseUnavailableException e) {
      return problem(409, e.getMessage());
    } catch (RuntimeException e) {
      return problem(WebEndpointResponse.STATUS_INTERNAL_SERVER_ERROR, "Maintenance failed: " + e);
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
      throw new IllegalArgumentException("Invalid " + field + ": " + value + " (expected a duration such as 10m, 36h or PT1H)", e);
    }
  }

  private static WebEndpointResponse<Map<String, Object>> problem(int status, String detail) {
    return new WebEndpointResponse<>(Map.of("status", status, "detail", detail), status);
  }
}
