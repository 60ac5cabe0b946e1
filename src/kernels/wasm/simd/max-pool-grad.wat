;; batchlab's SIMD kernels for the wasm backend (one module of several, built together by
;; scripts/build-simd.ts into kernels-wasm.ts), run on tfjs-backend-wasm's own memory (imported),
;; so they read and write tensors in place. Every pointer is a byte offset into that memory.
(module
  (import "env" "memory" (memory 1))

  ;; MaxPoolGrad of a 2x2 pool with stride 2 and no padding (the common CNN pool), NHWC float32, c a
  ;; multiple of 4: each window's dy goes to its arg-max, four channels at a time. The arg-max is
  ;; ../max-pool-grad.ts's (the cpu backend's): the first pixel in row-major order strictly greater
  ;; than everything before it, starting from -Infinity, so NaN never wins and a window of -Infinity
  ;; routes nowhere. dx = 0 + dy at the winner (so -0 becomes +0, as when adding into zeros).
  ;; When the windows do not cover the input (odd sides), dx is zeroed first.
  (func (export "maxPoolGrad2x2") (param $x i32) (param $dy i32) (param $dx i32)
    (param $batch i32) (param $inH i32) (param $inW i32) (param $c i32) (param $outH i32) (param $outW i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $j i32)
    (local $pixB i32) (local $rowB i32) (local $p i32) (local $q i32) (local $rowStart i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $g v128) (local $best v128)
    (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local.set $pixB (i32.shl (local.get $c) (i32.const 2)))
    (local.set $rowB (i32.mul (local.get $inW) (local.get $pixB)))
    (if (i32.or (i32.ne (local.get $inH) (i32.shl (local.get $outH) (i32.const 1)))
                (i32.ne (local.get $inW) (i32.shl (local.get $outW) (i32.const 1))))
      (then (memory.fill (local.get $dx) (i32.const 0)
        (i32.mul (i32.mul (local.get $batch) (local.get $inH)) (local.get $rowB)))))
    (block $bDone
      (loop $bLoop
        (br_if $bDone (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $oy (i32.const 0))
        (block $oyDone
          (loop $oyLoop
            (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $outH)))
            ;; byte offset of the window row's first pixel, the same in x and dx
            (local.set $rowStart (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH)) (i32.shl (local.get $oy) (i32.const 1)))
              (local.get $rowB)))
            (local.set $p (i32.add (local.get $x) (local.get $rowStart)))
            (local.set $q (i32.add (local.get $dx) (local.get $rowStart)))
            (local.set $ox (i32.const 0))
            (block $oxDone
              (loop $oxLoop
                (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $outW)))
                (local.set $j (i32.const 0))
                (loop $lane
                  (local.set $v0 (v128.load (i32.add (local.get $p) (local.get $j))))
                  (local.set $v1 (v128.load (i32.add (i32.add (local.get $p) (local.get $pixB)) (local.get $j))))
                  (local.set $v2 (v128.load (i32.add (i32.add (local.get $p) (local.get $rowB)) (local.get $j))))
                  (local.set $v3 (v128.load (i32.add (i32.add (i32.add (local.get $p) (local.get $rowB)) (local.get $pixB)) (local.get $j))))
                  (local.set $g (v128.load (i32.add (local.get $dy) (local.get $j))))
                  (local.set $best (f32x4.splat (f32.const -inf)))
                  (local.set $m0 (f32x4.gt (local.get $v0) (local.get $best)))
                  (local.set $best (v128.bitselect (local.get $v0) (local.get $best) (local.get $m0)))
                  (local.set $m1 (f32x4.gt (local.get $v1) (local.get $best)))
                  (local.set $best (v128.bitselect (local.get $v1) (local.get $best) (local.get $m1)))
                  (local.set $m0 (v128.andnot (local.get $m0) (local.get $m1)))
                  (local.set $m2 (f32x4.gt (local.get $v2) (local.get $best)))
                  (local.set $best (v128.bitselect (local.get $v2) (local.get $best) (local.get $m2)))
                  (local.set $m0 (v128.andnot (local.get $m0) (local.get $m2)))
                  (local.set $m1 (v128.andnot (local.get $m1) (local.get $m2)))
                  (local.set $m3 (f32x4.gt (local.get $v3) (local.get $best)))
                  (local.set $m0 (v128.andnot (local.get $m0) (local.get $m3)))
                  (local.set $m1 (v128.andnot (local.get $m1) (local.get $m3)))
                  (local.set $m2 (v128.andnot (local.get $m2) (local.get $m3)))
                  (v128.store (i32.add (local.get $q) (local.get $j))
                    (f32x4.add (v128.const f32x4 0 0 0 0) (v128.and (local.get $g) (local.get $m0))))
                  (v128.store (i32.add (i32.add (local.get $q) (local.get $pixB)) (local.get $j))
                    (f32x4.add (v128.const f32x4 0 0 0 0) (v128.and (local.get $g) (local.get $m1))))
                  (v128.store (i32.add (i32.add (local.get $q) (local.get $rowB)) (local.get $j))
                    (f32x4.add (v128.const f32x4 0 0 0 0) (v128.and (local.get $g) (local.get $m2))))
                  (v128.store (i32.add (i32.add (i32.add (local.get $q) (local.get $rowB)) (local.get $pixB)) (local.get $j))
                    (f32x4.add (v128.const f32x4 0 0 0 0) (v128.and (local.get $g) (local.get $m3))))
                  (local.set $j (i32.add (local.get $j) (i32.const 16)))
                  (br_if $lane (i32.lt_u (local.get $j) (local.get $pixB))))
                (local.set $p (i32.add (local.get $p) (i32.shl (local.get $pixB) (i32.const 1))))
                (local.set $q (i32.add (local.get $q) (i32.shl (local.get $pixB) (i32.const 1))))
                (local.set $dy (i32.add (local.get $dy) (local.get $pixB)))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $oxLoop)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $oyLoop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bLoop))))
)
