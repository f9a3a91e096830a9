// What CSV export writes: each panel registers the rows it shows (one entry per panel: its open tab).

export interface ExportTable {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}
