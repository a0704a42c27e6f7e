package dev.sluice.tools;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table with left-aligned columns, for humans; {@code --json} is for scripts. */
final class Table {

  private static final String GAP = "  ";

  private final List<String[]> rows = new ArrayList<>();

  Table(String... headers) {
    rows.add(headers.clone());
  }

  /** Adds a row; null cells print as "-" (a value the server did not report). */
  Table row(Object... cells) {
    String[] row = new String[cells.length];
    for (int i = 0; i < cells.length; i++) {
      row[i] = cells[i] == null ? "-" : cells[i].toString();
    }
    rows.add(row);
    return this;
  }

  void print(PrintWriter out) {
    int columns = rows.stream().mapToInt(r -> r.length).max().orElse(0);
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        line.append(row[i]);
        // No padding after the last column: trailing blanks only get in the way of grep and diff.
        if (i < row.length - 1) {
          line.append(" ".repeat(widths[i] - row[i].length())).append(GAP);
        }
      }
      out.println(line);
    }
  }
}
