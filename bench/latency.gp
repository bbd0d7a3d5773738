# SPDX-License-Identifier: MIT
# Round-trip latency distribution (CDF), library vs raw ioctl loop, per
# backend. gnuplot -e "dir='OUT'; nlat=N" bench/latency.gp -> OUT/latency.png
if (!exists("dir")) dir = "build-bench"
if (!exists("nlat")) nlat = 0
set terminal pngcairo size 1000,600 font "DejaVu Sans,11" noenhanced
set output dir."/latency.png"
set title "Ownership round trip (CPU store + device conversion): pooled runs"
set xlabel "round trip (us, log scale)"
set ylabel "percentile of rounds"
set logscale x
set yrange [0:100]
set ytics 10
set grid xtics mxtics ytics
set key right bottom box opaque
if (nlat == 0) {
   set label 1 "no round-trip data (no device backend ran)" at graph 0.5,0.5 center
   plot NaN notitle
} else {
   plot for [i=0:nlat-1] dir."/latency.dat" index i using 2:1 with lines linewidth 2 dashtype i%2+1 title columnheader(1)
}
