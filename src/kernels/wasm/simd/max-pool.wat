;; batchlab's SIMD kernels for the wasm backend (one module of several, built together by
;; scripts/build-simd.ts into kernels-wasm.ts), run on tfjs-backend-wasm's own memory (imported),
;; so they read and write tensors in place. Every pointer is a byte offset into that memory.
(module
  (import "env" "memory" (memory 1))

  ;; MaxPool of a 2x2 pool with stride 2 and no padding (the common CNN pool), NHWC float32, c a
  ;; multiple of 4, four channels at a time. The maximum is the cpu backend's: starting from
  ;; -Infinity, each pixel in row-major order replaces it when strictly greater, so NaN never wins,
  ;; and of -0 and +0 the first stays; f32x4.pmax(best, v) is exactly that step.
  (func (export "maxPool2x2") (param $x i32) (param $y i32)
    (param $batch i32) (param $inH i32) (param $inW i32) (param $c i32) (param $outH i32) (param $outW i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $j i32)
    (local $pixB i32) (local $rowB i32) (local $p i32) (local $q i32) (local $best v128)
    (local.set $pixB (i32.shl (local.get $c) (i32.const 2)))
    (local.set $rowB (i32.mul (local.get $inW) (local.get $pixB)))
    (local.set $q (local.get $y))
    (block $bDone
      (loop $bLoop
        (br_if $bDone (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $oy (i32.const 0))
        (block $oyDone
          (loop $oyLoop
            (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $outH)))
            ;; the window row's first pixel
            (local.set $p (i32.add (local.get $x)
              (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH)) (i32.shl (local.get $oy) (i32.const 1)))
                (local.get $rowB))))
            (local.set $ox (i32.const 0))
            (block $oxDone
              (loop $oxLoop
                (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $outW)))
                (local.set $j (i32.const 0))
                (loop $lane
                  (local.set $best (f32x4.pmax (f32x4.splat (f32.const -inf))
                    (v128.load (i32.add (local.get $p) (local.get $j)))))
                  (local.set $best (f32x4.pmax (local.get $best)
                    (v128.load (i32.add (i32.add (local.get $p) (local.get $pixB)) (local.get $j)))))
                  (local.set $best (f32x4.pmax (local.get $best)
                    (v128.load (i32.add (i32.add (local.get $p) (local.get $rowB)) (local.get $j)))))
                  (local.set $best (f32x4.pmax (local.get $best)
                    (v128.load (i32.add (i32.add (i32.add (local.get $p) (local.get $rowB)) (local.get $pixB)) (local.get $j)))))
                  (v128.store (local.get $q) (local.get $best))
                  (local.set $q (i32.add (local.get $q) (i32.const 16)))
                  (local.set $j (i32.add (local.get $j) (i32.const 16)))
                  (br_if $lane (i32.lt_u (local.get $j) (local.get $pixB))))
                (local.set $p (i32.add (local.get $p) (i32.shl (local.get $pixB) (i32.const 1))))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $oxLoop)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $oyLoop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bLoop))))
)
