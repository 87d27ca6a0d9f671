;; The SGD inner loop of the matrix factorization (loader/recommender/mf.ts), readable form of the
;; bytes loader/recommender/mf-wasm.ts emits: test/node/recommender-mf.test.ts assembles this text with
;; wabt and requires the very same bytes. Change both together.
;;
;; sgd(start, end, users, titles, ratings, P, Q, userBias, titleBias, kBytes,
;;     mean, lr, lrBias, reg, regUserBias, regTitleBias) -> f64 sum of squared errors
;; Pointers are byte offsets into the shared memory (one page here; the loader sizes it per run);
;; k is a multiple of 4. For each rating n in start..end-1, u = users[n], i = titles[n], in f32:
;;   err = r - (((mean + bu) + bi) + dot(P[u], Q[i]))   (dot summed lane-wise, then (l0+l1)+(l2+l3))
;;   bu += lrBias (err - regUserBias bu);  bi += lrBias (err - regTitleBias bi)
;;   P[u] += lr (err Q[i] - reg P[u]);  Q[i] += lr (err P[u] - reg Q[i])   (both from the old values)
(module
  (type $sgdType (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 f32 f32 f32 f32 f32 f32) (result f64)))
  (import "env" "memory" (memory $env.memory 1 1 shared))
  (func $sgd (type $sgdType) (param $start i32) (param $end i32) (param $users i32) (param $titles i32) (param $ratings i32) (param $P i32) (param $Q i32) (param $userBias i32) (param $titleBias i32) (param $kBytes i32) (param $mean f32) (param $lr f32) (param $lrBias f32) (param $reg f32) (param $regUserBias f32) (param $regTitleBias f32) (result f64)
    (local $n i32) (local $pu i32) (local $qi i32) (local $f i32) (local $uAddr i32) (local $iAddr i32) (local $u i32) (local $i i32) (local $err f32) (local $bu f32) (local $bi f32) (local $sse f64) (local $acc v128) (local $pv v128) (local $qv v128) (local $vErr v128) (local $vLr v128) (local $vReg v128)
    local.get $lr
    f32x4.splat
    local.set $vLr
    local.get $reg
    f32x4.splat
    local.set $vReg
    f64.const 0x0p+0 (;=0;)
    local.set $sse
    local.get $start
    local.set $n
    block $done
      loop $eachRating
        local.get $n
        local.get $end
        i32.ge_u
        br_if $done
        local.get $users
        local.get $n
        i32.const 2
        i32.shl
        i32.add
        i32.load
        local.set $u
        local.get $titles
        local.get $n
        i32.const 2
        i32.shl
        i32.add
        i32.load
        local.set $i
        local.get $P
        local.get $u
        local.get $kBytes
        i32.mul
        i32.add
        local.set $pu
        local.get $Q
        local.get $i
        local.get $kBytes
        i32.mul
        i32.add
        local.set $qi
        local.get $userBias
        local.get $u
        i32.const 2
        i32.shl
        i32.add
        local.set $uAddr
        local.get $titleBias
        local.get $i
        i32.const 2
        i32.shl
        i32.add
        local.set $iAddr
        v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000
        local.set $acc
        i32.const 0
        local.set $f
        loop $dotLanes
          local.get $acc
          local.get $pu
          local.get $f
          i32.add
          v128.load align=4
          local.get $qi
          local.get $f
          i32.add
          v128.load align=4
          f32x4.mul
          f32x4.add
          local.set $acc
          local.get $f
          i32.const 16
          i32.add
          local.tee $f
          local.get $kBytes
          i32.lt_u
          br_if $dotLanes
        end
        local.get $uAddr
        f32.load
        local.set $bu
        local.get $iAddr
        f32.load
        local.set $bi
        local.get $ratings
        local.get $n
        i32.const 2
        i32.shl
        i32.add
        f32.load
        local.get $mean
        local.get $bu
        f32.add
        local.get $bi
        f32.add
        local.get $acc
        f32x4.extract_lane 0
        local.get $acc
        f32x4.extract_lane 1
        f32.add
        local.get $acc
        f32x4.extract_lane 2
        local.get $acc
        f32x4.extract_lane 3
        f32.add
        f32.add
        f32.add
        f32.sub
        local.set $err
        local.get $sse
        local.get $err
        local.get $err
        f32.mul
        f64.promote_f32
        f64.add
        local.set $sse
        local.get $uAddr
        local.get $bu
        local.get $lrBias
        local.get $err
        local.get $regUserBias
        local.get $bu
        f32.mul
        f32.sub
        f32.mul
        f32.add
        f32.store
        local.get $iAddr
        local.get $bi
        local.get $lrBias
        local.get $err
        local.get $regTitleBias
        local.get $bi
        f32.mul
        f32.sub
        f32.mul
        f32.add
        f32.store
        local.get $err
        f32x4.splat
        local.set $vErr
        i32.const 0
        local.set $f
        loop $updateLanes
          local.get $pu
          local.get $f
          i32.add
          v128.load align=4
          local.set $pv
          local.get $qi
          local.get $f
          i32.add
          v128.load align=4
          local.set $qv
          local.get $pu
          local.get $f
          i32.add
          local.get $pv
          local.get $vLr
          local.get $vErr
          local.get $qv
          f32x4.mul
          local.get $vReg
          local.get $pv
          f32x4.mul
          f32x4.sub
          f32x4.mul
          f32x4.add
          v128.store align=4
          local.get $qi
          local.get $f
          i32.add
          local.get $qv
          local.get $vLr
          local.get $vErr
          local.get $pv
          f32x4.mul
          local.get $vReg
          local.get $qv
          f32x4.mul
          f32x4.sub
          f32x4.mul
          f32x4.add
          v128.store align=4
          local.get $f
          i32.const 16
          i32.add
          local.tee $f
          local.get $kBytes
          i32.lt_u
          br_if $updateLanes
        end
        local.get $n
        i32.const 1
        i32.add
        local.set $n
        br $eachRating
      end
    end
    local.get $sse)
  (export "sgd" (func $sgd)))
