(* The forward pass of the exactformer model IR (exactformer/model/ir.py and
   exactformer/engine/interpreter.py) for blocks with identity scores, a fixed 0/1
   mask and no FFN, over any commutative ring R:

     H0(x) = B + sum_i x_i A_i                                (N x D)
     block:  S = (H Wq) (H Wk)^T,  A = (M o S) (H Wv),  H <- H + A Wo
     y     = sum_(t, c) R[t, c] H_L[t, c] + r0

   The attention output of token t sums over ALL tokens j, each score multiplied
   by the mask bit M[t, j] in {0, 1}; nothing here knows which mask a
   construction uses. *)
From mathcomp Require Import ssreflect ssrfun ssrbool eqtype ssrnat seq path choice.
From mathcomp Require Import fintype finfun tuple bigop ssralg ssrint zmodp matrix.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory.
Local Open Scope ring_scope.

Section Forward.
Variable R : comRingType.
(* d input variables, N tokens, residual width D *)
Variables d N D : nat.

(* one single-head attention layer: head size h for queries and keys, hv for values *)
Record attention := Attention {
  hsize : nat;
  hsize_v : nat;
  wq : 'M[R]_(D, hsize);
  wk : 'M[R]_(D, hsize);
  wv : 'M[R]_(D, hsize_v);
  wo : 'M[R]_(hsize_v, D);
  mask : 'I_N -> 'I_N -> bool
}.

Record model := Model {
  base : 'M[R]_(N, D);
  coef : 'I_d -> 'M[R]_(N, D);
  blocks : seq attention;
  readout : 'M[R]_(N, D);
  bias : R
}.

(* H0(x) = B + sum_i x_i A_i *)
Definition embed (m : model) (x : 'I_d -> R) : 'M[R]_(N, D) :=
  base m + \sum_(i < d) x i *: coef m i.

(* S = Q K^T with Q = H Wq, K = H Wk *)
Definition scores (a : attention) (H : 'M[R]_(N, D)) : 'M[R]_(N, N) :=
  (H *m wq a) *m (H *m wk a)^T.

(* M o S: every score times its 0/1 mask bit *)
Definition apply_mask (a : attention) (S : 'M[R]_(N, N)) : 'M[R]_(N, N) :=
  \matrix_(t, j) ((mask a t j)%:R * S t j).

(* A = (M o S) V with V = H Wv: a sum over all tokens j *)
Definition attend (a : attention) (H : 'M[R]_(N, D)) : 'M[R]_(N, hsize_v a) :=
  apply_mask a (scores a H) *m (H *m wv a).

(* the residual update H <- H + A Wo *)
Definition block (H : 'M[R]_(N, D)) (a : attention) : 'M[R]_(N, D) :=
  H + attend a H *m wo a.

(* the residual stream after all blocks, in order *)
Definition stream (m : model) (x : 'I_d -> R) : 'M[R]_(N, D) :=
  foldl block (embed m x) (blocks m).

(* y = sum_(t, c) R[t, c] H[t, c] + r0 *)
Definition read (m : model) (H : 'M[R]_(N, D)) : R :=
  \sum_(t < N) \sum_(c < D) readout m t c * H t c + bias m.

Definition output (m : model) (x : 'I_d -> R) : R := read m (stream m x).

End Forward.

(* Models given by concrete data, as certificates store them: weights are
   integers in dense row lists, a mask is the list of allowed (query, key) pairs,
   and a readout entry (t, c, alpha) says R[t, c] = the coefficient of x^alpha. *)
Section Data.

Record block_data := BlockData {
  bd_head : nat;
  bd_head_v : nat;
  bd_wq : seq (seq int);
  bd_wk : seq (seq int);
  bd_wv : seq (seq int);
  bd_wo : seq (seq int);
  bd_mask : seq (nat * nat)
}.

Record model_data := ModelData {
  md_vars : nat;
  md_tokens : nat;
  md_width : nat;
  md_base : seq (seq int);
  md_coef : seq (seq (seq int));
  md_blocks : seq block_data;
  md_readout : seq (nat * nat * seq nat);
  md_bias : int
}.

Definition z (k : nat) : int := Posz k.
Definition zn (k : nat) : int := Negz k.   (* -(k + 1) *)

Variable R : comRingType.

Definition mx_of m n (rows : seq (seq int)) : 'M[R]_(m, n) :=
  \matrix_(i, j) (nth 0 (nth [::] rows i) j)%:~R.

Definition mask_of N (pairs : seq (nat * nat)) (t j : 'I_N) : bool :=
  (nat_of_ord t, nat_of_ord j) \in pairs.

Definition attention_of N D (b : block_data) : attention R N D :=
  @Attention R N D (bd_head b) (bd_head_v b) (mx_of _ _ (bd_wq b)) (mx_of _ _ (bd_wk b))
    (mx_of _ _ (bd_wv b)) (mx_of _ _ (bd_wo b)) (mask_of (bd_mask b)).

(* the first readout entry at (t, c) names the coefficient; no entry: 0 *)
Definition readout_of m n (cf : seq nat -> R) (es : seq (nat * nat * seq nat)) : 'M[R]_(m, n) :=
  \matrix_(t, c) head 0 [seq cf e.2 | e <- es & e.1 == (nat_of_ord t, nat_of_ord c)].

Definition model_of (md : model_data) (cf : seq nat -> R) :
    model R (md_vars md) (md_tokens md) (md_width md) :=
  Model (mx_of _ _ (md_base md)) (fun i => mx_of _ _ (nth [::] (md_coef md) i))
    (map (@attention_of _ _) (md_blocks md)) (readout_of _ _ cf (md_readout md))
    (md_bias md)%:~R.

End Data.

(* rows of a dense matrix given by a function *)
Definition dense (m n : nat) (f : nat -> nat -> int) : seq (seq int) :=
  [seq [seq f i j | j <- iota 0 n] | i <- iota 0 m].

Lemma nth_dense m n f i j : (i < m)%N -> (j < n)%N -> nth 0 (nth [::] (dense m n f) i) j = f i j.
Proof.
move=> im jn; rewrite /dense (nth_map 0%N) ?size_iota // nth_iota // add0n.
by rewrite (nth_map 0%N) ?size_iota // nth_iota.
Qed.

Lemma mx_of_dense (R : comRingType) m n f (i : 'I_m) (j : 'I_n) :
  mx_of R m n (dense m n f) i j = (f i j)%:~R.
Proof. by rewrite mxE nth_dense. Qed.

(* the output of the model given by data md, readout coefficients cf, on the input
   where variable i takes the value x i *)
Definition run_data (R : comRingType) (md : model_data) (cf : seq nat -> R) (x : nat -> R) : R :=
  output (@model_of R md cf) (fun i => x i).
