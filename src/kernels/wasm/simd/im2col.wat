;; batchlab's SIMD kernels for the wasm backend (one module of several, built together by
;; scripts/build-simd.ts into kernels-wasm.ts), run on tfjs-backend-wasm's own memory (imported),
;; so they read and write tensors in place. Every pointer is a byte offset into that memory.
(module
  (import "env" "memory" (memory 1))

  ;; The transposed im2col of ../columns.ts (fillColumnsT): cols[k, m] = x at tap k of output
  ;; position m, 0 in padding, for NHWC float32 x; k = (r * fw + c) * inC + i and
  ;; m = (b * outH + oy) * outW + ox. Fills cols row by row, front to back: writing the inC rows of
  ;; a tap side by side measured 2x slower (inC store streams a row's length apart).
  (func (export "im2colT") (param $x i32) (param $cols i32)
    (param $batch i32) (param $inH i32) (param $inW i32) (param $inC i32) (param $outH i32) (param $outW i32)
    (param $fh i32) (param $fw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (local $r i32) (local $c i32) (local $i i32) (local $b i32) (local $oy i32) (local $ox i32)
    (local $y i32) (local $xx i32) (local $dst i32) (local $xRow i32) (local $pixelBytes i32) (local $stepBytes i32)
    (local.set $pixelBytes (i32.shl (local.get $inC) (i32.const 2)))
    (local.set $stepBytes (i32.mul (local.get $sw) (local.get $pixelBytes)))
    (local.set $dst (local.get $cols))
    (local.set $r (i32.const 0))
    (loop $rLoop
      (local.set $c (i32.const 0))
      (loop $cLoop
        (local.set $i (i32.const 0))
        (loop $iLoop
          (local.set $b (i32.const 0))
          (loop $bLoop
            (local.set $oy (i32.const 0))
            (loop $oyLoop
              (local.set $y (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $sh)) (local.get $r)) (local.get $top)))
              ;; x at (b, y, ox * sw + c - left, i) for ox = 0; stepped by sw pixels
              (local.set $xRow (i32.add (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))
                (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH)) (local.get $y)) (local.get $inW))
                  (i32.sub (local.get $c) (local.get $left))) (local.get $pixelBytes))))
              (local.set $xx (i32.sub (local.get $c) (local.get $left)))
              (local.set $ox (i32.const 0))
              (if (i32.lt_u (local.get $y) (local.get $inH))
                (then
                  (loop $oxLoop
                    ;; a branch, not a select: the load must not run for a column outside the input
                    (f32.store (local.get $dst)
                      (if (result f32) (i32.lt_u (local.get $xx) (local.get $inW))
                        (then (f32.load (local.get $xRow)))
                        (else (f32.const 0))))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                    (local.set $xRow (i32.add (local.get $xRow) (local.get $stepBytes)))
                    (local.set $xx (i32.add (local.get $xx) (local.get $sw)))
                    (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                    (br_if $oxLoop (i32.lt_u (local.get $ox) (local.get $outW)))))
                (else
                  (memory.fill (local.get $dst) (i32.const 0) (i32.shl (local.get $outW) (i32.const 2)))
                  (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $outW) (i32.const 2))))))
              (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
              (br_if $oyLoop (i32.lt_u (local.get $oy) (local.get $outH))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br_if $bLoop (i32.lt_u (local.get $b) (local.get $batch))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $iLoop (i32.lt_u (local.get $i) (local.get $inC))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br_if $cLoop (i32.lt_u (local.get $c) (local.get $fw))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rLoop (i32.lt_u (local.get $r) (local.get $fh))))
  )
)
