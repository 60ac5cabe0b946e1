;; batchlab's SIMD kernels for the wasm backend (one module of several, built together by
;; scripts/build-simd.ts into kernels-wasm.ts), run on tfjs-backend-wasm's own memory (imported),
;; so they read and write tensors in place. Every pointer is a byte offset into that memory.
;;
;; BatchNorm's passes: an activation seen as `rows` rows of `c` float32 channels, c a multiple of
;; 4; per-channel vectors (acc, mean, scale, ...) hold c float32 values. Sums add into `acc`, so
;; the caller controls blocking and float64 totals.
(module
  (import "env" "memory" (memory 1))

  ;; acc[j] += x[r, j]
  (func $colSums (export "colSums") (param $x i32) (param $rows i32) (param $c i32) (param $acc i32)
    (local $end i32) (local $rowBytes i32) (local $j i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $j (i32.const 0))
        (loop $lane
          (v128.store (i32.add (local.get $acc) (local.get $j))
            (f32x4.add
              (v128.load (i32.add (local.get $acc) (local.get $j)))
              (v128.load (i32.add (local.get $x) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $lane (i32.lt_u (local.get $j) (local.get $rowBytes))))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (br $row))))

  ;; acc[j] += (x[r, j] - mean[j])^2
  (func $colCentredSquares (export "colCentredSquares") (param $x i32) (param $rows i32) (param $c i32) (param $mean i32) (param $acc i32)
    (local $end i32) (local $rowBytes i32) (local $j i32) (local $d v128)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $j (i32.const 0))
        (loop $lane
          (local.set $d
            (f32x4.sub
              (v128.load (i32.add (local.get $x) (local.get $j)))
              (v128.load (i32.add (local.get $mean) (local.get $j)))))
          (v128.store (i32.add (local.get $acc) (local.get $j))
            (f32x4.add
              (v128.load (i32.add (local.get $acc) (local.get $j)))
              (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $lane (i32.lt_u (local.get $j) (local.get $rowBytes))))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (br $row))))

  ;; accDy[j] += dy[r, j]; accDyXc[j] += dy[r, j] * (x[r, j] - mean[j])
  (func $colGradSums (export "colGradSums")
    (param $dy i32) (param $x i32) (param $rows i32) (param $c i32) (param $mean i32) (param $accDy i32) (param $accDyXc i32)
    (local $end i32) (local $rowBytes i32) (local $j i32) (local $g v128)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $j (i32.const 0))
        (loop $lane
          (local.set $g (v128.load (i32.add (local.get $dy) (local.get $j))))
          (v128.store (i32.add (local.get $accDy) (local.get $j))
            (f32x4.add (v128.load (i32.add (local.get $accDy) (local.get $j))) (local.get $g)))
          (v128.store (i32.add (local.get $accDyXc) (local.get $j))
            (f32x4.add
              (v128.load (i32.add (local.get $accDyXc) (local.get $j)))
              (f32x4.mul (local.get $g)
                (f32x4.sub
                  (v128.load (i32.add (local.get $x) (local.get $j)))
                  (v128.load (i32.add (local.get $mean) (local.get $j)))))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $lane (i32.lt_u (local.get $j) (local.get $rowBytes))))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
        (br $row))))

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
