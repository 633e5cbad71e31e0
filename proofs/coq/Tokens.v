(* The tokens of construction A: the monomials of degree <= n in d variables, as
   exponent lists, in graded order (degree first, then lexicographically
   decreasing), exactly as exactformer.poly.graded_monomials lists them; the last
   variable of a monomial and its parent alpha - e_last. Everything here computes
   (vm_compute), and is related to MathComp's bounded monomials 'X_{1..d < n.+1}. *)
From mathcomp Require Import ssreflect ssrfun ssrbool eqtype ssrnat seq path choice.
From mathcomp Require Import fintype finfun tuple bigop ssralg ssrint zmodp matrix.
From SsrMultinomials Require Import mpoly.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

(* all exponent lists of length d and degree <= k *)
Fixpoint exps (d k : nat) : seq (seq nat) :=
  if d is d'.+1 then [seq a :: s | a <- iota 0 k.+1, s <- exps d' (k - a)]
  else [:: [::]].

Lemma mem_exps d k s : (s \in exps d k) = (size s == d) && (sumn s <= k).
Proof.
elim: d k s => [|d IH] k s.
  by case: s => [|a s]; rewrite inE //= eqSS.
apply/(@allpairsPdep _ (fun _ => [eqType of seq nat]) _ (fun a s => a :: s)
        (iota 0 k.+1) (fun a => exps d (k - a)) s)/idP => [[a [s' [ak s's ->]]]|].
  move: ak s's; rewrite mem_iota add0n ltnS IH /= eqSS => ak /andP[-> ss'].
  by rewrite -(subnKC ak) leq_add2l.
case: s => [|a s] // /andP[/= sz le]; rewrite eqSS in sz.
exists a, s; split => //.
  change (a \in iota 0 k.+1).
  by rewrite mem_iota add0n ltnS (leq_trans (leq_addr _ _) le).
by rewrite IH sz /= leq_subRL ?(leq_trans (leq_addr _ _) le).
Qed.

Lemma exps_uniq d k : uniq (exps d k).
Proof.
elim: d k => [|d IH] k //.
apply: (@allpairs_uniq_dep _ (fun _ => [eqType of seq nat]) _ (fun a s => a :: s)
          (iota 0 k.+1) (fun a => exps d (k - a))) => [|a _|]; rewrite ?iota_uniq ?IH //.
by move=> [a s] [b t] _ _ /= [-> ->].
Qed.

(* graded order: degree first, then lexicographically decreasing *)
Fixpoint lex_ge (a b : seq nat) : bool :=
  match a, b with
  | x :: a', y :: b' => (y < x) || ((x == y) && lex_ge a' b')
  | _, _ => true
  end.

Definition graded_le (a b : seq nat) : bool :=
  (sumn a < sumn b) || ((sumn a == sumn b) && lex_ge a b).

Definition tokens (d n : nat) : seq (seq nat) := sort graded_le (exps d n).
Definition ntokens (d n : nat) : nat := size (tokens d n).
Definition tok (d n t : nat) : seq nat := nth [::] (tokens d n) t.

Lemma mem_tokens d n s : (s \in tokens d n) = (size s == d) && (sumn s <= n).
Proof. by rewrite mem_sort mem_exps. Qed.

Lemma tokens_uniq d n : uniq (tokens d n).
Proof. by rewrite sort_uniq exps_uniq. Qed.

Lemma tok_valid d n t : t < ntokens d n -> size (tok d n t) = d /\ sumn (tok d n t) <= n.
Proof. by move=> lt; move: (mem_nth [::] lt); rewrite -/(tok _ _ _) mem_tokens => /andP[/eqP]. Qed.

(* the last variable with a non-zero exponent (0 if there is none) *)
Fixpoint lastv (s : seq nat) : nat :=
  if s is a :: s' then (if has (fun b => b != 0) s' then (lastv s').+1 else 0) else 0.

Lemma lastvP s : has (fun b => b != 0) s -> lastv s < size s /\ nth 0 s (lastv s) != 0.
Proof.
elim: s => [|a s IH] //=; case: ifP => [h _|h]; first by case: (IH h).
by rewrite orbF => nz.
Qed.

Lemma sumn_has s : 0 < sumn s -> has (fun b => b != 0) s.
Proof. by elim: s => [|a s IH] //=; case: a => [|a] //= /IH. Qed.

(* alpha - e_last *)
Definition parent_exp (s : seq nat) : seq nat := set_nth 0 s (lastv s) (nth 0 s (lastv s)).-1.

Lemma sumn_set_pred s l : l < size s -> 0 < nth 0 s l ->
  (sumn (set_nth 0 s l (nth 0 s l).-1)).+1 = sumn s.
Proof.
elim: s l => [|a s IH] [|l] //= lt nz; first by rewrite -addSn prednK.
by rewrite -addnS IH.
Qed.

Lemma parent_exp_valid s : 0 < sumn s ->
  [/\ size (parent_exp s) = size s, (sumn (parent_exp s)).+1 = sumn s,
      lastv s < size s & 0 < nth 0 s (lastv s)].
Proof.
move/sumn_has/lastvP => [lt nz]; rewrite lt0n nz; split => //.
  by rewrite size_set_nth; apply/maxn_idPr.
by apply: sumn_set_pred; rewrite ?lt0n.
Qed.

Lemma nth_parent_exp s i : nth 0 (parent_exp s) i =
  (if i == lastv s then (nth 0 s i).-1 else nth 0 s i).
Proof. by rewrite nth_set_nth /=; case: eqP => // ->. Qed.

(* the token of the parent *)
Definition parent (d n t : nat) : nat := index (parent_exp (tok d n t)) (tokens d n).

Lemma parentP d n t : t < ntokens d n -> 0 < sumn (tok d n t) ->
  [/\ parent d n t < ntokens d n, tok d n (parent d n t) = parent_exp (tok d n t)
    & (sumn (tok d n (parent d n t))).+1 = sumn (tok d n t)].
Proof.
move=> lt pos; have [sz sm] := tok_valid lt.
have [psz psm _ _] := parent_exp_valid pos.
have mem : parent_exp (tok d n t) \in tokens d n.
  by rewrite mem_tokens psz sz eqxx /=; rewrite -psm in sm; apply: ltnW.
by rewrite /parent index_mem /tok nth_index.
Qed.

(* exponent lists as MathComp monomials *)
Definition mono (d : nat) (s : seq nat) : 'X_{1..d} := [multinom nth 0 s i | i < d].
Definition bmono (d n : nat) (s : seq nat) : 'X_{1..d < n.+1} := insubd bm0 (mono d s).
Definition mseq d b (a : 'X_{1..d < b}) : seq nat := tval (multinom_val (bmnm a)).

Lemma mseq_nth d b (a : 'X_{1..d < b}) (i : 'I_d) : nth 0 (mseq a) i = a i.
Proof. by rewrite mnm_tnth (tnth_nth 0). Qed.

Lemma size_mseq d b (a : 'X_{1..d < b}) : size (mseq a) = d.
Proof. exact: size_tuple. Qed.

Lemma sumn_mseq d b (a : 'X_{1..d < b}) : sumn (mseq a) = mdeg (bmnm a).
Proof. by rewrite /mdeg sumnE. Qed.

Lemma mseq_inj d b : injective (@mseq d b).
Proof. by move=> a1 a2 e; do 3 apply: val_inj. Qed.

Lemma mdeg_mono d s : size s = d -> mdeg (mono d s) = sumn s.
Proof.
move=> sz; rewrite /mdeg -sumnE; congr sumn.
transitivity (map (fun i : 'I_d => nth 0 s i) (enum 'I_d)); first by [].
by rewrite -[RHS](mkseq_nth 0 s) sz /mkseq -val_enum_ord -[in RHS]map_comp.
Qed.

Lemma bmono_nth d n s (i : 'I_d) : size s = d -> sumn s <= n -> bmono d n s i = nth 0 s i.
Proof.
move=> sz sm; rewrite /bmono val_insubd mdeg_mono // ltnS sm.
by rewrite /mono mnmE.
Qed.

Lemma bmono_mseq d n (a : 'X_{1..d < n.+1}) : bmono d n (mseq a) = a.
Proof.
apply: val_inj; rewrite /bmono val_insubd mdeg_mono ?size_mseq // sumn_mseq bmdeg.
by apply/mnmP => i; rewrite mnmE mseq_nth.
Qed.

Lemma mseq_bmono d n s : size s = d -> sumn s <= n -> mseq (bmono d n s) = s.
Proof.
move=> sz sm; apply: (@eq_from_nth _ 0); rewrite size_mseq ?sz // => i lt.
have /= -> := mseq_nth (bmono d n s) (Ordinal lt).
exact: (bmono_nth (Ordinal lt)).
Qed.

(* summing over the tokens is summing over the bounded monomials *)
Lemma sum_tokens (R : zmodType) d n (F : 'X_{1..d < n.+1} -> R) :
  (\sum_(alpha : 'X_{1..d < n.+1}) F alpha = \sum_(t < ntokens d n) F (bmono d n (tok d n t)))%R.
Proof.
rewrite -(big_mkord xpredT (fun t => F (bmono d n (tok d n t)))) /tok.
rewrite -(big_nth [::] xpredT (fun s => F (bmono d n s))).
have perm : perm_eq (tokens d n) (map (@mseq d n.+1) (enum {: 'X_{1..d < n.+1}})).
  apply: uniq_perm; rewrite ?tokens_uniq ?(map_inj_uniq (@mseq_inj d n.+1)) ?enum_uniq //.
  move=> s; rewrite mem_tokens; apply/andP/mapP => [[/eqP sz sm]|[a _ ->]].
    by exists (bmono d n s); rewrite ?mem_enum ?mseq_bmono.
  by rewrite size_mseq sumn_mseq -ltnS bmdeg.
rewrite (perm_big _ perm) big_map -big_enum /=.
by apply: eq_bigr => a _; rewrite bmono_mseq.
Qed.
