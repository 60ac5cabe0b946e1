;; batchlab's SIMD kernels for the wasm backend (one module of several, built together by
;; scripts/build-simd.ts into kernels-wasm.ts), run on tfjs-backend-wasm's own memory (imported),
;; so they read and write tensors in place. Every pointer is a byte offset into that memory.
;;
;; BatchNorm's passes: an activation seen as `rows` rows of `c` float32 channels, c a multiple of
;; 4; per-channel vectors (acc, mean, scale, ...) hold c float32 values. Sums add into `acc`, so
;; the caller controls blocking and float64 totals.
(module
  (import "env" "memory" (memory 1))

  ;; The sums below keep each channel's running sums in registers while they go down the rows, a
  ;; group of vectors at a time (four, 16 channels; two for the gradient's two sums, which would
  ;; not fit in registers with four), then one vector at a time for the rest: a sum kept in memory
  ;; waits on its own store at every row, which made these passes three to four times slower than
  ;; reading the data. Each channel still adds its rows in order, starting from what acc holds.

  ;; acc[j] += x[r, j]
  (func $colSums (export "colSums") (param $x i32) (param $rows i32) (param $c i32) (param $acc i32)
    (local $rowBytes i32) (local $end i32) (local $j i32) (local $p i32) (local $stop i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $groupsDone
      (loop $groups
        (br_if $groupsDone (i32.gt_u (i32.add (local.get $j) (i32.const 64)) (local.get $rowBytes)))
        (local.set $p (i32.add (local.get $acc) (local.get $j)))
        (local.set $a0 (v128.load (local.get $p)))
        (local.set $a1 (v128.load offset=16 (local.get $p)))
        (local.set $a2 (v128.load offset=32 (local.get $p)))
        (local.set $a3 (v128.load offset=48 (local.get $p)))
        (local.set $p (i32.add (local.get $x) (local.get $j)))
        (local.set $stop (i32.add (local.get $end) (local.get $j)))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $p) (local.get $stop)))
            (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $p))))
            (local.set $a1 (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $p))))
            (local.set $a2 (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $p))))
            (local.set $a3 (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
            (br $row)))
        (local.set $p (i32.add (local.get $acc) (local.get $j)))
        (v128.store (local.get $p) (local.get $a0))
        (v128.store offset=16 (local.get $p) (local.get $a1))
        (v128.store offset=32 (local.get $p) (local.get $a2))
        (v128.store offset=48 (local.get $p) (local.get $a3))
        (local.set $j (i32.add (local.get $j) (i32.const 64)))
        (br $groups)))
    (block $restDone
      (loop $rest
        (br_if $restDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (local.set $a0 (v128.load (i32.add (local.get $acc) (local.get $j))))
        (local.set $p (i32.add (local.get $x) (local.get $j)))
        (local.set $stop (i32.add (local.get $end) (local.get $j)))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $p) (local.get $stop)))
            (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
            (br $row)))
        (v128.store (i32.add (local.get $acc) (local.get $j)) (local.get $a0))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $rest))))

  ;; acc[j] += (x[r, j] - mean[j])^2
  (func $colCentredSquares (export "colCentredSquares") (param $x i32) (param $rows i32) (param $c i32) (param $mean i32) (param $acc i32)
    (local $rowBytes i32) (local $end i32) (local $j i32) (local $p i32) (local $stop i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128) (local $d v128)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $groupsDone
      (loop $groups
        (br_if $groupsDone (i32.gt_u (i32.add (local.get $j) (i32.const 64)) (local.get $rowBytes)))
        (local.set $p (i32.add (local.get $acc) (local.get $j)))
        (local.set $a0 (v128.load (local.get $p)))
        (local.set $a1 (v128.load offset=16 (local.get $p)))
        (local.set $a2 (v128.load offset=32 (local.get $p)))
        (local.set $a3 (v128.load offset=48 (local.get $p)))
        (local.set $p (i32.add (local.get $mean) (local.get $j)))
        (local.set $m0 (v128.load (local.get $p)))
        (local.set $m1 (v128.load offset=16 (local.get $p)))
        (local.set $m2 (v128.load offset=32 (local.get $p)))
        (local.set $m3 (v128.load offset=48 (local.get $p)))
        (local.set $p (i32.add (local.get $x) (local.get $j)))
        (local.set $stop (i32.add (local.get $end) (local.get $j)))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $p) (local.get $stop)))
            (local.set $d (f32x4.sub (v128.load (local.get $p)) (local.get $m0)))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $d (f32x4.sub (v128.load offset=16 (local.get $p)) (local.get $m1)))
            (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $d (f32x4.sub (v128.load offset=32 (local.get $p)) (local.get $m2)))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $d (f32x4.sub (v128.load offset=48 (local.get $p)) (local.get $m3)))
            (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
            (br $row)))
        (local.set $p (i32.add (local.get $acc) (local.get $j)))
        (v128.store (local.get $p) (local.get $a0))
        (v128.store offset=16 (local.get $p) (local.get $a1))
        (v128.store offset=32 (local.get $p) (local.get $a2))
        (v128.store offset=48 (local.get $p) (local.get $a3))
        (local.set $j (i32.add (local.get $j) (i32.const 64)))
        (br $groups)))
    (block $restDone
      (loop $rest
        (br_if $restDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (local.set $a0 (v128.load (i32.add (local.get $acc) (local.get $j))))
        (local.set $m0 (v128.load (i32.add (local.get $mean) (local.get $j))))
        (local.set $p (i32.add (local.get $x) (local.get $j)))
        (local.set $stop (i32.add (local.get $end) (local.get $j)))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $p) (local.get $stop)))
            (local.set $d (f32x4.sub (v128.load (local.get $p)) (local.get $m0)))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
            (br $row)))
        (v128.store (i32.add (local.get $acc) (local.get $j)) (local.get $a0))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $rest))))

  ;; accDy[j] += dy[r, j]; accDyXc[j] += dy[r, j] * (x[r, j] - mean[j])
  (func $colGradSums (export "colGradSums")
    (param $dy i32) (param $x i32) (param $rows i32) (param $c i32) (param $mean i32) (param $accDy i32) (param $accDyXc i32)
    (local $rowBytes i32) (local $end i32) (local $j i32) (local $p i32) (local $q i32) (local $stop i32)
    (local $s0 v128) (local $s1 v128) (local $a0 v128) (local $a1 v128) (local $m0 v128) (local $m1 v128) (local $g v128)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $groupsDone
      (loop $groups
        (br_if $groupsDone (i32.gt_u (i32.add (local.get $j) (i32.const 32)) (local.get $rowBytes)))
        (local.set $p (i32.add (local.get $accDy) (local.get $j)))
        (local.set $s0 (v128.load (local.get $p)))
        (local.set $s1 (v128.load offset=16 (local.get $p)))
        (local.set $p (i32.add (local.get $accDyXc) (local.get $j)))
        (local.set $a0 (v128.load (local.get $p)))
        (local.set $a1 (v128.load offset=16 (local.get $p)))
        (local.set $p (i32.add (local.get $mean) (local.get $j)))
        (local.set $m0 (v128.load (local.get $p)))
        (local.set $m1 (v128.load offset=16 (local.get $p)))
        (local.set $p (i32.add (local.get $x) (local.get $j)))
        (local.set $q (i32.add (local.get $dy) (local.get $j)))
        (local.set $stop (i32.add (local.get $end) (local.get $j)))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $p) (local.get $stop)))
            (local.set $g (v128.load (local.get $q)))
            (local.set $s0 (f32x4.add (local.get $s0) (local.get $g)))
            (local.set $a0 (f32x4.add (local.get $a0)
              (f32x4.mul (local.get $g) (f32x4.sub (v128.load (local.get $p)) (local.get $m0)))))
            (local.set $g (v128.load offset=16 (local.get $q)))
            (local.set $s1 (f32x4.add (local.get $s1) (local.get $g)))
            (local.set $a1 (f32x4.add (local.get $a1)
              (f32x4.mul (local.get $g) (f32x4.sub (v128.load offset=16 (local.get $p)) (local.get $m1)))))
            (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
            (local.set $q (i32.add (local.get $q) (local.get $rowBytes)))
            (br $row)))
        (local.set $p (i32.add (local.get $accDy) (local.get $j)))
        (v128.store (local.get $p) (local.get $s0))
        (v128.store offset=16 (local.get $p) (local.get $s1))
        (local.set $p (i32.add (local.get $accDyXc) (local.get $j)))
        (v128.store (local.get $p) (local.get $a0))
        (v128.store offset=16 (local.get $p) (local.get $a1))
        (local.set $j (i32.add (local.get $j) (i32.const 32)))
        (br $groups)))
    (block $restDone
      (loop $rest
        (br_if $restDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (local.set $p (i32.add (local.get $accDy) (local.get $j)))
        (local.set $s0 (v128.load (local.get $p)))
        (local.set $p (i32.add (local.get $accDyXc) (local.get $j)))
        (local.set $a0 (v128.load (local.get $p)))
        (local.set $p (i32.add (local.get $mean) (local.get $j)))
        (local.set $m0 (v128.load (local.get $p)))
        (local.set $p (i32.add (local.get $x) (local.get $j)))
        (local.set $q (i32.add (local.get $dy) (local.get $j)))
        (local.set $stop (i32.add (local.get $end) (local.get $j)))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $p) (local.get $stop)))
            (local.set $g (v128.load (local.get $q)))
            (local.set $s0 (f32x4.add (local.get $s0) (local.get $g)))
            (local.set $a0 (f32x4.add (local.get $a0)
              (f32x4.mul (local.get $g) (f32x4.sub (v128.load (local.get $p)) (local.get $m0)))))
            (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
            (local.set $q (i32.add (local.get $q) (local.get $rowBytes)))
            (br $row)))
        (local.set $p (i32.add (local.get $accDy) (local.get $j)))
        (v128.store (local.get $p) (local.get $s0))
        (local.set $p (i32.add (local.get $accDyXc) (local.get $j)))
        (v128.store (local.get $p) (local.get $a0))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $rest))))

  ;; y[r, j] = (x[r, j] - mean[j]) * scale[j] + shift[j]
  (func (export "normalize")
    (param $x i32) (param $rows i32) (param $c i32) (param $mean i32) (param $scale i32) (param $shift i32) (param $y i32)
    (local $end i32) (local $rowBytes i32) (local $j i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $j (i32.const 0))
        (loop $lane
          (v128.store (i32.add (local.get $y) (local.get $j))
            (f32x4.add
              (f32x4.mul
                (f32x4.sub
                  (v128.load (i32.add (local.get $x) (local.get $j)))
                  (v128.load (i32.add (local.get $mean) (local.get $j))))
                (v128.load (i32.add (local.get $scale) (local.get $j))))
              (v128.load (i32.add (local.get $shift) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $lane (i32.lt_u (local.get $j) (local.get $rowBytes))))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $y (i32.add (local.get $y) (local.get $rowBytes)))
        (br $row))))

  ;; dx[r, j] = k[j] * dy[r, j] + e[j] * (x[r, j] - mean[j]) + g[j]
  (func (export "normalizeGrad")
    (param $dy i32) (param $x i32) (param $rows i32) (param $c i32)
    (param $mean i32) (param $k i32) (param $e i32) (param $g i32) (param $dx i32)
    (local $end i32) (local $rowBytes i32) (local $j i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $j (i32.const 0))
        (loop $lane
          (v128.store (i32.add (local.get $dx) (local.get $j))
            (f32x4.add
              (f32x4.add
                (f32x4.mul
                  (v128.load (i32.add (local.get $k) (local.get $j)))
                  (v128.load (i32.add (local.get $dy) (local.get $j))))
                (f32x4.mul
                  (v128.load (i32.add (local.get $e) (local.get $j)))
                  (f32x4.sub
                    (v128.load (i32.add (local.get $x) (local.get $j)))
                    (v128.load (i32.add (local.get $mean) (local.get $j))))))
              (v128.load (i32.add (local.get $g) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $lane (i32.lt_u (local.get $j) (local.get $rowBytes))))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
        (local.set $dx (i32.add (local.get $dx) (local.get $rowBytes)))
        (br $row))))
;; The three sums above per block of `block` rows: block b's totals go to acc + b * w (w: c
  ;; values, 2c for the gradient's two), zeroed first. Their float32 rounding depends on the block
  ;; only, so blocks may be summed on any thread and added up in float64 afterwards.
  (func (export "colSumsBlocks") (param $x i32) (param $rows i32) (param $c i32) (param $acc i32) (param $block i32)
    (local $n i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.le_s (local.get $rows) (i32.const 0)))
        (local.set $n (select (local.get $block) (local.get $rows) (i32.lt_s (local.get $block) (local.get $rows))))
        (memory.fill (local.get $acc) (i32.const 0) (local.get $rowBytes))
        (call $colSums (local.get $x) (local.get $n) (local.get $c) (local.get $acc))
        (local.set $x (i32.add (local.get $x) (i32.mul (local.get $n) (local.get $rowBytes))))
        (local.set $acc (i32.add (local.get $acc) (local.get $rowBytes)))
        (local.set $rows (i32.sub (local.get $rows) (local.get $n)))
        (br $next))))

  (func (export "colCentredSquaresBlocks")
    (param $x i32) (param $rows i32) (param $c i32) (param $mean i32) (param $acc i32) (param $block i32)
    (local $n i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.le_s (local.get $rows) (i32.const 0)))
        (local.set $n (select (local.get $block) (local.get $rows) (i32.lt_s (local.get $block) (local.get $rows))))
        (memory.fill (local.get $acc) (i32.const 0) (local.get $rowBytes))
        (call $colCentredSquares (local.get $x) (local.get $n) (local.get $c) (local.get $mean) (local.get $acc))
        (local.set $x (i32.add (local.get $x) (i32.mul (local.get $n) (local.get $rowBytes))))
        (local.set $acc (i32.add (local.get $acc) (local.get $rowBytes)))
        (local.set $rows (i32.sub (local.get $rows) (local.get $n)))
        (br $next))))

  (func (export "colGradSumsBlocks")
    (param $dy i32) (param $x i32) (param $rows i32) (param $c i32) (param $mean i32) (param $acc i32) (param $block i32)
    (local $n i32) (local $rowBytes i32) (local $step i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.le_s (local.get $rows) (i32.const 0)))
        (local.set $n (select (local.get $block) (local.get $rows) (i32.lt_s (local.get $block) (local.get $rows))))
        (memory.fill (local.get $acc) (i32.const 0) (i32.shl (local.get $rowBytes) (i32.const 1)))
        (call $colGradSums (local.get $dy) (local.get $x) (local.get $n) (local.get $c) (local.get $mean)
          (local.get $acc) (i32.add (local.get $acc) (local.get $rowBytes)))
        (local.set $step (i32.mul (local.get $n) (local.get $rowBytes)))
        (local.set $x (i32.add (local.get $x) (local.get $step)))
        (local.set $dy (i32.add (local.get $dy) (local.get $step)))
        (local.set $acc (i32.add (local.get $acc) (i32.shl (local.get $rowBytes) (i32.const 1))))
        (local.set $rows (i32.sub (local.get $rows) (local.get $n)))
        (br $next))))
)
