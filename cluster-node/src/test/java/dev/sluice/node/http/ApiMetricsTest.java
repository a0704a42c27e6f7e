package dev.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code route} and {@code acks} labels: templates, never raw paths or values. */
class ApiMetricsTest {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "''                                       | /",
        "topics                                   | /topics",
        "topics/orders                            | /topics/{topic}",
        "topics/orders/partitions/3/records       | /topics/{topic}/partitions/{partition}/records",
        "topics/orders/partitions/3/records/17    | /topics/{topic}/partitions/{partition}/records/{offset}",
        "topics/orders/partitions/3               | other",
        "topics/orders/segments/3/records         | other",
        "cluster/status                           | /cluster/status",
        "cluster                                  | other",
        "openapi.yaml                             | /openapi.yaml",
        "producers                                | /producers",
        "producers/7                              | other",
        "anything/else/entirely                   | other",
      })
  void routeTemplates(String path, String template) {
    List<String> segments = path.isEmpty() ? List.of() : Arrays.asList(path.split("/"));
    assertEquals(template, ApiMetrics.routeTemplate(segments));
  }

  @ParameterizedTest
  @CsvSource({"'', all", "all, all", "leader, leader", "ALL, invalid", "1, invalid"})
  void acksLabels(String acks, String label) {
    assertEquals(
        label, ApiMetrics.acksLabel(acks.isEmpty() ? Optional.empty() : Optional.of(acks)));
  }
}
