(* Construction A ("masked", exactformer/constructions/masked.py and
   proofs/construction-A-masked.md), generically in d and n, and the theorem:
   its n fixed blocks with the readout set to the coefficients c compute
   sum_(|alpha| <= n) c_alpha x^alpha exactly, over every commutative ring.

   Tokens are the monomials alpha_t of degree <= n (Tokens.v), channels
   (xin, one, m) = (0, 1, 2). Embedding: xin_t = x_(last t) (1 on the degree-0
   token), one_t = 1, m_t = [|alpha_t| = 0]. Block k: Wq = e_xin, Wk = e_one,
   Wv = e_m, Wo = e_m^T, mask M_k[t, j] = [|alpha_t| = k /\ j = parent t].
   Readout R[t, m] = c_(alpha_t). The construction is written as concrete data
   (masked_data d n); its meaning is the generic forward pass of IR.v. *)
From mathcomp Require Import ssreflect ssrfun ssrbool eqtype ssrnat seq path choice.
From mathcomp Require Import fintype finfun tuple bigop ssralg ssrint zmodp matrix.
From SsrMultinomials Require Import mpoly.
From Exactformer Require Import IR Tokens.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory.

Definition XIN := 0.
Definition ONE := 1.
Definition MEM := 2.

Section Data.
(* the token list is a section variable, so that computing masked_data d n
   (vm_compute) builds tokens d n once and shares it *)
Variable toks : seq (seq nat).
Local Notation N := (size toks).
Local Notation tk t := (nth [::] toks t).

Definition b2z (b : bool) : int := Posz b.

(* B: one_t = 1 everywhere; the degree-0 token also has xin = 1 and m = 1 *)
Definition base_fn (t c : nat) : int := b2z ((c == ONE) || (sumn (tk t) == 0)).
(* A_i: xin_t = x_i on the tokens (of degree >= 1) whose last variable is i *)
Definition coef_fn (i t c : nat) : int :=
  b2z [&& c == XIN, sumn (tk t) != 0 & lastv (tk t) == i].

Definition wq_rows := dense 3 1 (fun r _ => b2z (r == XIN)).
Definition wk_rows := dense 3 1 (fun r _ => b2z (r == ONE)).
Definition wv_rows := dense 3 1 (fun r _ => b2z (r == MEM)).
Definition wo_rows := dense 1 3 (fun _ c => b2z (c == MEM)).

(* block k: every token of degree k sees its parent, and nothing else is allowed *)
Definition mask_pairs (k : nat) : seq (nat * nat) :=
  [seq (t, index (parent_exp (tk t)) toks) | t <- iota 0 N & sumn (tk t) == k].

Definition masked_block (k : nat) : block_data :=
  BlockData 1 1 wq_rows wk_rows wv_rows wo_rows (mask_pairs k).

(* R[t, m] = the coefficient of x^alpha_t *)
Definition readout_entries : seq (nat * nat * seq nat) := [seq (t, MEM, tk t) | t <- iota 0 N].

Definition masked_data_of (d n : nat) : model_data :=
  ModelData d N 3 (dense N 3 base_fn) [seq dense N 3 (coef_fn i) | i <- iota 0 d]
    [seq masked_block k | k <- iota 1 n] readout_entries 0.

End Data.

(* construction A for d variables and degree n, as data *)
Definition masked_data (d n : nat) : model_data := masked_data_of (tokens d n) d n.

(* the n-block model with readout c, over any commutative ring *)
Definition masked_model (R : comRingType) (d n : nat) (c : 'X_{1..d < n.+1} -> R) :
    model R d (ntokens d n) 3 :=
  @model_of R (masked_data d n) (fun s => c (bmono d n s)).

Local Open Scope ring_scope.

Section Proof.
Variable R : comRingType.
Variables d n : nat.
Variable c : 'X_{1..d < n.+1} -> R.
Variable x : 'I_d -> R.

Local Notation N := (ntokens d n).
Local Notation tk := (tok d n).
Local Notation H0 := (embed (masked_model c) x).

Definition xp (s : seq nat) : R := \prod_(i < d) x i ^+ nth 0%N s i.

Let cxin : 'I_3 := @Ordinal 3 0 isT.
Let cone : 'I_3 := @Ordinal 3 1 isT.
Let cm : 'I_3 := @Ordinal 3 2 isT.

Lemma nth_le_sumn (s : seq nat) i : (nth 0%N s i <= sumn s)%N.
Proof. by elim: s i => [|a s IH] [|i] //=; rewrite ?leq_addr // (leq_trans (IH i)) ?leq_addl. Qed.

Lemma xp0 s : sumn s = 0%N -> xp s = 1.
Proof.
move=> s0; rewrite /xp big1 // => i _.
by have := nth_le_sumn s i; rewrite s0 leqn0 => /eqP ->; rewrite expr0.
Qed.

(* x^alpha = x_l * x^(alpha - e_l) for the last variable l of alpha *)
Lemma xp_parent s (lt : (lastv s < d)%N) : (0 < nth 0%N s (lastv s))%N ->
  xp s = x (Ordinal lt) * xp (parent_exp s).
Proof.
move=> pos; rewrite /xp (bigD1 (Ordinal lt)) //= [in RHS](bigD1 (Ordinal lt)) //=.
rewrite nth_parent_exp eqxx mulrA -exprS prednK //; congr (_ * _).
apply: eq_bigr => i ne; rewrite nth_parent_exp.
by case: eqP => // e; case/eqP: ne; apply: val_inj.
Qed.

Lemma coef_nth i : (i < d)%N ->
  nth [::] (md_coef (masked_data d n)) i = dense N 3 (coef_fn (tokens d n) i).
Proof. by move=> lt; rewrite /= (nth_map 0%N) ?size_iota // nth_iota. Qed.

Lemma embedE (t : 'I_N) (col : 'I_3) :
  H0 t col = (base_fn (tokens d n) t col)%:~R +
    \sum_(i < d) x i * (coef_fn (tokens d n) i t col)%:~R.
Proof.
rewrite /embed !mxE summxE /= nth_dense //; congr (_ + _).
by apply: eq_bigr => i _; rewrite mxE coef_nth // mx_of_dense.
Qed.

Lemma H0_one (t : 'I_N) : H0 t cone = 1.
Proof. by rewrite embedE /base_fn /coef_fn /= big1 ?addr0 // => i _; rewrite mulr0. Qed.

Lemma H0_m (t : 'I_N) : H0 t cm = (sumn (tk t) == 0%N)%:R.
Proof.
rewrite embedE /base_fn /coef_fn /= big1 ?addr0 => [|i _]; last by rewrite mulr0.
by case: (sumn _ == _).
Qed.

Lemma H0_xin (t : 'I_N) (pos : (0 < sumn (tk t))%N) (lt : (lastv (tk t) < d)%N) :
  H0 t cxin = x (Ordinal lt).
Proof.
rewrite embedE /base_fn /coef_fn /= eqn0Ngt pos /= add0r (bigD1 (Ordinal lt)) //= eqxx.
rewrite mulr1 big1 ?addr0 // => i ne; case: eqP => [e|]; last by rewrite mulr0.
by case/eqP: ne; apply: val_inj.
Qed.

Lemma mem_mask_pairs k (t j : nat) :
  ((t, j) \in mask_pairs (tokens d n) k) =
    [&& (t < N)%N, sumn (tk t) == k & j == parent d n t].
Proof.
apply/mapP/idP => [[u]|/and3P[lt e /eqP ->]].
  by rewrite mem_filter mem_iota add0n => /andP[e /andP[_ lt]] [-> ->]; rewrite lt e eqxx.
by exists t => //; rewrite mem_filter mem_iota add0n e lt.
Qed.

(* the invariant: after k blocks, xin and one are as embedded, and
   m_t = x^alpha_t for |alpha_t| <= k, 0 otherwise *)
Definition inv (k : nat) (H : 'M[R]_(N, 3)) : Prop :=
  (forall t col, col != cm -> H t col = H0 t col) /\
  (forall t, H t cm = (sumn (tk t) <= k)%N%:R * xp (tk t)).

Lemma inv0 : inv 0 H0.
Proof.
split=> // t; rewrite H0_m leqn0.
by case: eqP => [e|_]; rewrite ?mul0r // xp0 // mul1r.
Qed.

Lemma pick_col (H : 'M[R]_(N, 3)) j (col : 'I_3) :
  \sum_(c0 < 3) H j c0 * mx_of R 3 1 (dense 3 1 (fun r _ => b2z (r == col))) c0 ord0 = H j col.
Proof.
rewrite (bigD1 col) //= mx_of_dense eqxx mulr1 big1 ?addr0 // => c0 ne.
rewrite mx_of_dense /b2z; case: eqP => [e|]; last by rewrite mulr0.
by case/eqP: ne; apply: val_inj.
Qed.

Lemma inv_step k H :
  inv k H -> inv k.+1 (block H (@attention_of R N 3 (masked_block (tokens d n) k.+1))).
Proof.
move=> [same mval].
have attE : forall t, attend (@attention_of R N 3 (masked_block (tokens d n) k.+1)) H t ord0 =
    \sum_(j < N) ((t : nat, j : nat) \in mask_pairs (tokens d n) k.+1)%:R *
      (H t cxin * H j cone) * H j cm.
  move=> t; rewrite /attend !mxE; apply: eq_bigr => j _; rewrite !mxE big_ord1 !mxE /=.
  by rewrite (pick_col H t cxin) (pick_col H j cone) (pick_col H j cm).
have blockE : forall t col, block H (@attention_of R N 3 (masked_block (tokens d n) k.+1)) t col =
    H t col + attend (@attention_of R N 3 (masked_block (tokens d n) k.+1)) H t ord0 *
      (b2z (col == MEM :> nat))%:~R.
  by move=> t col; rewrite /block [in LHS]mxE [in LHS]mxE big_ord1 /= /wo_rows mx_of_dense.
split=> [t col ne|t].
  rewrite blockE /b2z; case: eqP => [e|_]; last by rewrite mulr0 addr0 same.
  by case/eqP: ne; apply: val_inj.
rewrite blockE /= mulr1 attE mval.
have [deg|deg] := eqVneq (sumn (tk t)) k.+1.
  have pos : (0 < sumn (tk t))%N by rewrite deg.
  have [plt ptok psum] := parentP (ltn_ord t) pos.
  have [_ _ llt lpos] := parent_exp_valid pos.
  have [szt _] := tok_valid (ltn_ord t).
  rewrite szt in llt.
  rewrite (bigD1 (Ordinal plt)) //= big1 => [|j ne]; last first.
    rewrite mem_mask_pairs; case: (boolP (_ == parent d n t)) => [/eqP e|_].
      by case/eqP: ne; apply: val_inj.
    by rewrite !andbF /= mulr0n !mul0r.
  have pk : sumn (tk (parent d n t)) = k by apply/eq_add_S; rewrite psum deg.
  rewrite mem_mask_pairs ltn_ord deg !eqxx ltnn /= mulr0n mulr1n mul0r mul1r add0r addr0.
  rewrite same // same // mval H0_one (H0_xin pos llt) mulr1 /= pk leqnn /= mulr1n mul1r.
  by rewrite ltnSn /= mulr1n mul1r ptok (xp_parent llt lpos).
rewrite big1 => [|j _]; last by rewrite mem_mask_pairs (negbTE deg) /= andbF /= mulr0n !mul0r.
by rewrite addr0 [in RHS]leq_eqVlt (negbTE deg) /= ltnS.
Qed.

Lemma inv_blocks k : inv k (foldl (@block R N 3) H0
  [seq @attention_of R N 3 b | b <- [seq masked_block (tokens d n) k | k <- iota 1 k]]).
Proof.
elim: k => [|k IH]; first exact: inv0.
by rewrite -addn1 iotaD cats1 !map_rcons foldl_rcons add1n addn1; apply: inv_step.
Qed.

Lemma readoutE (t : 'I_N) (col : 'I_3) :
  readout (masked_model c) t col = if col == cm then c (bmono d n (tk t)) else 0.
Proof.
rewrite /= mxE /readout_entries filter_map /=.
case: eqP => [->|ne].
  rewrite (@eq_filter _ _ (pred1 (t : nat))) => [|u]; last by rewrite /= xpair_eqE andbT.
  by rewrite filter_pred1_uniq ?iota_uniq // mem_iota add0n ltn_ord.
rewrite (@eq_filter _ _ pred0) => [|u]; first by rewrite filter_pred0.
rewrite /= xpair_eqE.
by case: eqP => // _; case: eqP => // e; case: ne; apply: val_inj.
Qed.

Theorem masked_output :
  output (masked_model c) x = \sum_(alpha : 'X_{1..d < n.+1}) c alpha * \prod_(i < d) x i ^+ alpha i.
Proof.
have [same mval] := inv_blocks n.
rewrite /output /read /stream /= addr0 sum_tokens; apply: eq_bigr => t _.
rewrite (bigD1 cm) //= big1 ?addr0 => [|col ne]; last by rewrite readoutE (negbTE ne) mul0r.
have [sz sm] := tok_valid (ltn_ord t).
rewrite readoutE eqxx mval sm mul1r; congr (_ * _).
by apply: eq_bigr => i _; rewrite bmono_nth.
Qed.

End Proof.

(* The theorem: for every commutative ring R, every number of variables d and
   degree n, every coefficient family c (one per monomial of degree <= n) and every
   input x, the n fixed blocks of construction A with readout c output
   sum_(alpha : |alpha| <= n) c_alpha x^alpha. *)
Theorem masked_zero_error (R : comRingType) (d n : nat) (c : 'X_{1..d < n.+1} -> R)
    (x : 'I_d -> R) :
  output (masked_model c) x = \sum_(alpha : 'X_{1..d < n.+1}) c alpha * \prod_(i < d) x i ^+ alpha i.
Proof. exact: masked_output. Qed.

(* The same sum written with the degree condition explicit: every element of
   'X_{1..d < n.+1} has mdeg <= n, so the filter keeps all of them. *)
Corollary masked_zero_error_mdeg (R : comRingType) (d n : nat)
    (c : 'X_{1..d < n.+1} -> R) (x : 'I_d -> R) :
  output (masked_model c) x =
    \sum_(alpha : 'X_{1..d < n.+1} | (mdeg alpha <= n)%N) c alpha * \prod_(i < d) x i ^+ alpha i.
Proof.
rewrite masked_zero_error; apply: eq_bigl => alpha.
by have := bmdeg alpha; rewrite ltnS => ->.
Qed.

(* The same for a model given as data: an exported certificate proves
   [md = masked_data d n] by computation and then applies this. *)
Corollary masked_data_zero_error (md : model_data) (d n : nat) :
  md = masked_data d n ->
  forall (R : comRingType) (c : 'X_{1..d < n.+1} -> R) (x : nat -> R),
  @run_data R md (fun s => c (bmono d n s)) x =
    \sum_(alpha : 'X_{1..d < n.+1}) c alpha * \prod_(i < d) x i ^+ alpha i.
Proof. by move=> -> R c x; exact: (masked_zero_error c (fun i : 'I_d => x i)). Qed.

(* Certificates of one polynomial: construction A with a concrete readout.

   A coefficient a/b is written as the code (a, b) : Z * positive (binary, so
   large numerators cost nothing) and read in any commutative unit ring R as
   a%:~R / b%:~R; over rat that is the rational a/b itself. The readout is a list
   of entries (t, col, code), the target a list of terms (alpha, code). The
   check readout_is_target decides by computation that every entry sits in
   channel m of a token, that no position or monomial repeats, that every target
   monomial is a token, and that the entry of token t has the same code as the
   target's coefficient of alpha_t (both absent, or both with numerator 0, count
   as the same). Then the output is the target: masked_certificate_zero_error. *)
From Coq Require BinNums BinPos BinInt.  (* not imported: they would rebind %N *)

Lemma Z_eqP : Equality.axiom BinInt.Z.eqb.
Proof. by move=> a b; apply: (iffP idP) => /BinInt.Z.eqb_eq. Qed.
Lemma positive_eqP : Equality.axiom BinPos.Pos.eqb.
Proof. by move=> a b; apply: (iffP idP) => /BinPos.Pos.eqb_eq. Qed.
Canonical Z_eqType := EqType BinNums.Z (EqMixin Z_eqP).
Canonical positive_eqType := EqType BinNums.positive (EqMixin positive_eqP).

Definition qcode := (BinNums.Z * BinNums.positive)%type.
Definition qzero : qcode := (BinNums.Z0, BinNums.xH).
(* a / b *)
Definition q (a : BinNums.Z) (b : BinNums.positive) : qcode := (a, b).

Definition int_of_Z (a : BinNums.Z) : int :=
  match a with
  | BinNums.Z0 => 0
  | BinNums.Zpos p => Posz (BinPos.Pos.to_nat p)
  | BinNums.Zneg p => Negz (BinPos.Pos.to_nat p).-1
  end.

(* equal codes, or two zeros: the same number *)
Definition qcode_same (a b : qcode) : bool :=
  ((a.1 == BinNums.Z0) && (b.1 == BinNums.Z0)) || (a == b).

(* the code at (t, col): the first entry there; none: 0 *)
Definition readout_code (es : seq (nat * nat * qcode)) (t col : nat) : qcode :=
  head qzero [seq e.2 | e <- es & e.1 == (t, col)].

(* the target's coefficient of alpha; not listed: 0 *)
Definition target_code (ts : seq (seq nat * qcode)) (alpha : seq nat) : qcode :=
  head qzero [seq p.2 | p <- ts & p.1 == alpha].

Definition readout_is_target (d n : nat) (es : seq (nat * nat * qcode))
    (ts : seq (seq nat * qcode)) : bool :=
  let toks := tokens d n in
  [&& all (fun e => (e.1.1 < size toks) && (e.1.2 == MEM)) es,
      uniq [seq e.1 | e <- es], uniq [seq p.1 | p <- ts],
      all (fun p => p.1 \in toks) ts &
      all (fun t => qcode_same (readout_code es t MEM) (target_code ts (nth [::] toks t)))
        (iota 0 (size toks))].

(* construction A without its readout: embedding and blocks only *)
Definition masked_frame (d n : nat) : model_data :=
  let m := masked_data d n in
  ModelData (md_vars m) (md_tokens m) (md_width m) (md_base m) (md_coef m) (md_blocks m)
    [::] (md_bias m).

Section Concrete.
Variable R : comUnitRingType.
Local Open Scope ring_scope.

Definition qval (q : qcode) : R := (int_of_Z q.1)%:~R / (BinPos.Pos.to_nat q.2)%:R.

(* the model of md (embedding, blocks, bias) with the readout R[t, col] = the
   number of the entry at (t, col), 0 where there is none *)
Definition concrete_model (md : model_data) (es : seq (nat * nat * qcode)) :
    model R (md_vars md) (md_tokens md) (md_width md) :=
  let m := @model_of R md (fun _ => 0) in
  Model (base m) (coef m) (blocks m) (\matrix_(t, col) qval (readout_code es t col)) (bias m).

Definition run_concrete (md : model_data) es (x : nat -> R) : R :=
  output (concrete_model md es) (fun i => x i).

Lemma qval0 : qval qzero = 0.
Proof. by rewrite /qval /= mul0r. Qed.

Lemma qval_same a b : qcode_same a b -> qval a = qval b.
Proof.
case: a b => [a1 a2] [b1 b2]; rewrite /qcode_same /=.
case/orP => [/andP[/eqP -> /eqP ->]|/eqP -> //].
by rewrite /qval /= !mul0r.
Qed.

(* with distinct monomials, summing the looked-up coefficients over a list of
   distinct monomials that holds them all is summing the terms *)
Lemma sum_target_code (P : seq nat -> R) (L : seq (seq nat)) (ts : seq (seq nat * qcode)) :
  uniq L -> uniq [seq p.1 | p <- ts] -> all (fun p => p.1 \in L) ts ->
  \sum_(s <- L) qval (target_code ts s) * P s = \sum_(p <- ts) qval p.2 * P p.1.
Proof.
move=> uL; elim: ts => [|p ts IH] /=.
  by move=> _ _; rewrite big_nil big1 // => s _; rewrite qval0 mul0r.
case/andP=> pts uts /andP[pL aL]; rewrite big_cons -IH //.
have split_ : forall s, qval (target_code (p :: ts) s) * P s =
    (s == p.1)%:R * (qval p.2 * P p.1) + qval (target_code ts s) * P s.
  move=> s; rewrite /target_code /=; have [e|ne] := eqVneq p.1 s.
    rewrite -e /= mul1r.
    have -> : [seq q <- ts | q.1 == p.1] = [::].
      rewrite -(filter_pred0 ts); apply: eq_in_filter => q qts /=.
      by apply/negbTE; apply: contraNN pts => /eqP <-; apply: map_f.
    by rewrite /= qval0 mul0r addr0.
  by rewrite /= mul0r add0r.
rewrite (eq_bigr _ (fun s _ => split_ s)) big_split /=; congr (_ + _).
rewrite (big_rem _ pL) /= eqxx mul1r big_seq big1 ?addr0 // => s.
by rewrite (mem_rem_uniq _ uL) inE => /andP[/negbTE -> _]; rewrite mul0r.
Qed.

End Concrete.

(* The instance theorem: a model given as data whose embedding and blocks ARE
   construction A (md = masked_frame d n, decided by computation) and whose
   readout is the target (readout_is_target, decided by computation) outputs the
   target, sum over its terms (alpha, a/b) of a/b * x^alpha, over every
   commutative unit ring. *)
Corollary masked_certificate_zero_error (md : model_data) (d n : nat)
    (es : seq (nat * nat * qcode)) (ts : seq (seq nat * qcode)) :
  md = masked_frame d n -> readout_is_target d n es ts ->
  forall (R : comUnitRingType) (x : nat -> R),
  run_concrete md es x = (\sum_(p <- ts) qval R p.2 * \prod_(i < d) x i ^+ nth 0%N p.1 i)%R.
Proof.
move=> -> /and5P[inM uE uT inT same] R x.
pose c (alpha : 'X_{1..d < n.+1}) : R := qval R (target_code ts (mseq alpha)).
have readE : \matrix_(t, col) qval R (readout_code es t col) = readout (masked_model c).
  apply/matrixP => t col; rewrite [LHS]mxE readoutE.
  case: eqP => [->|ne].
    have [sz sm] := tok_valid (ltn_ord t).
    rewrite /c mseq_bmono //; apply: qval_same.
    by move/allP: same; apply; rewrite mem_iota add0n ltn_ord.
  rewrite /readout_code.
  have -> : [seq e <- es | e.1 == (t : nat, col : nat)] = [::].
    rewrite -(filter_pred0 es); apply: eq_in_filter => e /(allP inM) /andP[_ /eqP eM].
    apply/negbTE/negP => /eqP ee.
    by case: ne; apply: val_inj; rewrite /= -[col : nat]/((t : nat, col : nat).2) -ee eM.
  exact: qval0.
transitivity (output (masked_model c) (fun i : 'I_d => x i)).
  by rewrite /run_concrete /output /read /= readE.
rewrite masked_zero_error sum_tokens.
rewrite -(sum_target_code (fun s => \prod_(i < d) x i ^+ nth 0%N s i) (tokens_uniq d n) uT inT).
rewrite (big_nth [::]) big_mkord; apply: eq_bigr => t _.
have [sz sm] := tok_valid (ltn_ord t).
rewrite /c mseq_bmono //; congr (_ * _); apply: eq_bigr => i _; by rewrite bmono_nth.
Qed.
