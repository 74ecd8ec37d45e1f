# Horizontal bar chart of ours/baseline time ratios (log scale; left of 1 = ours faster).
# Usage: gnuplot -e "datafile='ratios.dat'; outfile='plot.png'; subtitle='...'" plot.gp
if (!exists("datafile")) datafile = 'bench/results/ratios.dat'
if (!exists("outfile")) outfile = 'docs/benchmarks-host.png'
if (!exists("subtitle")) subtitle = ''

stats datafile using 2 nooutput
rows = STATS_records

set terminal pngcairo size 1100, (180 + 22 * rows) font "DejaVu Sans,10" noenhanced
set output outfile
set title "Host benchmarks: ours / baseline time (log scale; < 1 = ours faster)\ndarker bars: against crossbeam-deque\n".subtitle
set logscale x 2
set xrange [1.0/64:64]
set xtics ("1/64" 1.0/64, "1/16" 0.0625, "1/4" 0.25, "1/2" 0.5, "1" 1, "2" 2, "4" 4, "16" 16, "64" 64)
set grid xtics
set yrange [-0.7:rows - 0.3]
set ytics nomirror
set ytics font ",9"
set key off
set style fill solid 0.8 noborder
set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb "black"

# y = row index, reversed so the first row is on top; colour: green faster, red slower,
# darker against crossbeam (column 3 names the baseline).
# Each value is printed right of the 1 line (or of its bar), clamped inside the frame.
plot datafile using (sqrt($2)):(rows - 1 - $0):(sqrt($2) < 1 ? $2 : 1):(sqrt($2) < 1 ? 1 : $2): \
                    (rows - 1 - $0 - 0.35):(rows - 1 - $0 + 0.35): \
                    ($2 < 1 ? (strcol(3) eq "crossbeam" ? 0x1f5f3b : 0x2e8b57) \
                            : (strcol(3) eq "crossbeam" ? 0x8b2323 : 0xcd5c5c)):ytic(1) \
     with boxxyerror lc rgb variable, \
     datafile using (($2 > 1 ? ($2 < 40 ? $2 : 40) : 1) * 1.08):(rows - 1 - $0):(sprintf("%.2f", $2)) \
         with labels left font ",8"
