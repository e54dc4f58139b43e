"""Token texts: each token decoded on its own, for byte-level BPE and SentencePiece-style
(Metaspace) tokenizers built in code."""

import unittest

import support  # noqa: F401  (import path, threads)
import tiny_models
from forkscope_capture.tokens import encode_prompt, eos_ids_of, token_pieces


def byte_level_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=["<|endoftext|>"], show_progress=False)
    tok.train_from_iterator(["How do I grow tomatoes on a balcony? I grow them well."] * 20, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>")


class TestTokenPieces(unittest.TestCase):
    def test_byte_level_pieces(self):
        tok = byte_level_tokenizer()
        ids = encode_prompt(tok, "I grow \U0001F331 tomatoes caf\u00e9<|endoftext|>")
        pieces = token_pieces(tok, ids)
        self.assertEqual(pieces[:2], ["I", " grow"])
        self.assertIn(" tomatoes", pieces)
        self.assertEqual(pieces[-1], "<|endoftext|>")
        # the 4 bytes of the emoji and the 2 of "é" are separate tokens: each is U+FFFD
        self.assertEqual(pieces.count("\ufffd"), 6)
        self.assertEqual(pieces, [tok.decode([i]) for i in ids], "byte-level: exactly decode([id])")

    def test_sentencepiece_style_space_restored(self):
        tok = tiny_models.make_tokenizer()
        ids = encode_prompt(tok, "the cat sits")
        self.assertEqual([tok.decode([i]) for i in ids], ["<bos>", "the", "cat", "sits"], "decode drops the space")
        self.assertEqual(token_pieces(tok, ids), ["<bos>", " the", " cat", " sits"])
        self.assertEqual("".join(token_pieces(tok, ids[1:])), " " + tok.decode(ids[1:]))

    def test_encode_errors_and_eos(self):
        tok = byte_level_tokenizer()
        with self.assertRaisesRegex(ValueError, "encodes to no tokens"):
            encode_prompt(tok, "")
        with self.assertRaisesRegex(ValueError, "no chat template"):
            encode_prompt(tok, "x", chat=True)

        class Cfg:
            eos_token_id = [7, 3]

        self.assertEqual(eos_ids_of(tok, Cfg()), [tok.eos_token_id, 7, 3])
        self.assertEqual(eos_ids_of(None, None), [])


if __name__ == "__main__":
    unittest.main()
