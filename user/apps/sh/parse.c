/* sh: the input, its tokens and the commands' trees (the grammar of POSIX 2.10, the part the
 * shell has: lists, and-or lists, pipelines, simple commands, if, while, until, for, case,
 * { } and ( ), functions, redirections and here-documents). A construct left open at a line's
 * end reads the next line ("> " on a terminal). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sh.h"

/* ---- The arena ---------------------------------------------------------------------------- */

struct block {
  struct block* next;
  size_t used, size;
  _Alignas(8) char data[];
};

static struct block* blocks;

void* grow(void* p, size_t size) {
  p = realloc(p, size);
  if (!p) {
    fprintf(stderr, "sh: out of memory\n");
    exit(2);
  }
  return p;
}

static void* arena_alloc(size_t n) {
  n = (n + 7) & ~(size_t)7;
  if (!blocks || blocks->used + n > blocks->size) {
    const size_t size = n > 16384 ? n : 16384;
    struct block* b = grow(NULL, sizeof *b + size);
    b->next = blocks;
    b->used = 0;
    b->size = size;
    blocks = b;
  }
  void* p = blocks->data + blocks->used;
  blocks->used += n;
  memset(p, 0, n);
  return p;
}

void parse_keep(void) {
  static struct block* kept;
  while (blocks) {
    struct block* next = blocks->next;
    blocks->next = kept;
    kept = blocks;
    blocks = next;
  }
}

void parse_free(void) {
  while (blocks) {
    struct block* next = blocks->next;
    free(blocks);
    blocks = next;
  }
}

/* ---- Lines -------------------------------------------------------------------------------- */

static struct source* source;
static char* line; /* the line being read; NUL-ended, its '\n' kept */
static size_t line_capacity;
static const char* pos;              /* where the next token starts; NULL before a line is read */
static const char* next_string_line; /* sh -c: where the string's next line starts */
static int is_continued;             /* the command being read has read a line already ("> ") */
static int line_failed;              /* a line too long: a syntax error */

/* The here-documents of the line being read, whose lines come after it. */
enum { kMaxHereDocuments = 16 };
static struct redirection* here_documents[kMaxHereDocuments];
static int here_strips[kMaxHereDocuments]; /* <<-: tabs at the lines' start dropped */
static int here_count;

/* The prompt: PS1, or PS2 while a command goes on over lines, its parameters, $( ) and
 * $(( )) expanded as POSIX asks (as a here-document's lines are); "$ " and "> " when unset. */
static char* prompt_text;
static void show_prompt(void) {
  const char* raw = variable_get(is_continued ? "PS2" : "PS1");
  char* expanded = expand_here(raw ? raw : is_continued ? "> " : "$ ");
  prompt_shown = NULL; /* the SIGINT handler reads it: never a freed one */
  free(prompt_text);
  prompt_text = expanded ? expanded : strdup("$ ");
  prompt_shown = prompt_text;
  fputs(prompt_shown, stderr);
}

/* Reads the next line; 0 at the input's end. */
static int read_line(void) {
  if (source->prompt) {
    if (!is_continued) {
      reap_background();
      run_traps();
    }
    fflush(stdout);
    show_prompt();
    fflush(stderr);
  }
  is_continued = 1;
  ssize_t length;
  if (source->string) {
    if (!next_string_line) return 0;
    const char* end = strchr(next_string_line, '\n');
    length = end ? end + 1 - next_string_line : (ssize_t)strlen(next_string_line);
    if ((size_t)length + 1 > line_capacity) {
      line_capacity = (size_t)length + 1;
      line = grow(line, line_capacity);
    }
    memcpy(line, next_string_line, (size_t)length);
    line[length] = '\0';
    next_string_line = end ? end + 1 : NULL;
  } else {
    length = -2;
    if (source->prompt && source->file == stdin) length = edit_line(prompt_shown, &line, &line_capacity);
    if (length == -2) length = getline(&line, &line_capacity, source->file);
    prompt_shown = NULL;
    if (length < 0) return 0;
  }
  if ((size_t)length >= kLineBytes && !here_count) { /* a here-document's lines have no limit */
    fprintf(stderr, "sh: a line of more than %d bytes\n", kLineBytes - 1);
    line_failed = 1;
    line[0] = '\0';
  }
  pos = line;
  return 1;
}

/* ---- Tokens ------------------------------------------------------------------------------- */

enum token_kind { kWord, kOperator, kNewline, kEnd, kBad };

struct token {
  enum token_kind kind;
  const char* text;
  int io_number; /* a redirection's descriptor written before it (2>), else -1 */
};

static struct token token;
static int has_token;

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
static int is_operator_char(char c) {
  return c == ';' || c == '&' || c == '|' || c == '<' || c == '>' || c == '(' || c == ')';
}

/* A growing string for a word being read. */
struct text {
  char* bytes;
  size_t used, capacity;
};

static void text_put(struct text* t, char c) {
  if (t->used + 2 > t->capacity) {
    t->capacity = t->capacity ? 2 * t->capacity : 64;
    t->bytes = grow(t->bytes, t->capacity);
  }
  t->bytes[t->used++] = c;
  t->bytes[t->used] = '\0';
}

static const char* text_keep(struct text* t) {
  char* kept = arena_alloc(t->used + 1);
  if (t->used) memcpy(kept, t->bytes, t->used);
  free(t->bytes);
  return kept;
}

/* Reads the ${ } at pos into t, up to the '}' that closes it (its quotes, but single ones in
 * double quotes, `in_quotes`, and inner ${ } matched), on this line: blanks may stand in
 * ${NAME:-WORD}'s WORD. */
static void read_braces(struct text* t, int in_quotes) {
  text_put(t, *pos++);
  text_put(t, *pos++);
  char quote = 0;
  for (int depth = 0; *pos && *pos != '\n';) {
    const char c = *pos;
    if (c == '\\' && quote != '\'' && pos[1] && pos[1] != '\n') {
      text_put(t, *pos++);
    } else if ((c == '"' || (c == '\'' && !in_quotes)) && (!quote || quote == c)) {
      quote = quote ? 0 : c;
    } else if (!quote && c == '$' && pos[1] == '{') {
      depth++;
    } else if (!quote && c == '}' && depth-- == 0) {
      text_put(t, *pos++);
      return;
    }
    text_put(t, *pos++);
  }
}

/* Reads a word at pos into t, as written: quotes and escapes kept, a quoted newline kept, a
 * backslash-newline dropped (the word goes on on the next line). A command substitution $( )
 * or ` ` in it is read whole (`inside` set: pos just past its "$("), up to its ')', its own quotes
 * and parentheses matched, over lines. 0, or -1 with a message. */
static int read_word(struct text* t, int inside) {
  char quote = 0;
  int depth = 0; /* parentheses open in a substitution */
  for (;;) {
    char c = *pos;
    if (c == '\0') {
      if (!quote && !inside) return 0;
      if (!read_line()) {
        if (quote) fprintf(stderr, "sh: syntax error: unterminated %c\n", quote);
        else fprintf(stderr, "sh: syntax error: unterminated $(\n");
        return -1;
      }
      continue;
    }
    if (!quote && !inside && (is_blank(c) || c == '\n' || is_operator_char(c))) return 0;
    if (c == '\\' && quote != '\'') {
      if (pos[1] == '\n') { /* the word goes on on the next line */
        pos += 2;
        if (!read_line()) return 0;
        continue;
      }
      text_put(t, c);
      pos++;
      if (*pos) text_put(t, *pos++);
      continue;
    }
    if (c == '$' && pos[1] == '{' && quote != '\'') {
      read_braces(t, quote == '"');
      continue;
    }
    if (c == '`' && quote != '\'') { /* `COMMANDS`: up to the next unescaped backquote, over lines */
      text_put(t, *pos++);
      for (;;) {
        if (*pos == '\0' && !read_line()) {
          fprintf(stderr, "sh: syntax error: unterminated `\n");
          return -1;
        }
        if (*pos == '\\' && pos[1]) text_put(t, *pos++);
        else if (*pos == '`') break;
        if (*pos) text_put(t, *pos++);
      }
      text_put(t, *pos++);
      continue;
    }
    if (c == '$' && pos[1] == '(' && quote != '\'') {
      text_put(t, *pos++);
      text_put(t, *pos++);
      if (read_word(t, 1) < 0) return -1;
      continue;
    }
    if ((c == '\'' || c == '"') && (!quote || quote == c)) quote = quote ? 0 : c;
    if (inside && !quote && c == '(') depth++;
    text_put(t, c);
    pos++;
    if (inside && !quote && c == ')' && depth-- == 0) return 0;
  }
}

/* Reads the lines of the line's here-documents, each up to its delimiter alone on a line (or
 * the end of the input). */
static void read_here_documents(void) {
  for (int i = 0; i < here_count; i++) {
    struct redirection* r = here_documents[i];
    struct text body = {0};
    const size_t delimiter_length = strlen(r->target);
    while (read_line()) {
      const char* start = line;
      if (here_strips[i])
        while (*start == '\t') start++;
      size_t length = strlen(start);
      if (length > 0 && start[length - 1] == '\n') length--;
      if (length == delimiter_length && !strncmp(start, r->target, length)) break;
      while (*start) text_put(&body, *start++);
      if (body.used > 0 && body.bytes[body.used - 1] != '\n') text_put(&body, '\n');
    }
    r->here = text_keep(&body);
  }
  here_count = 0;
  pos = NULL;
}

/* Reads the next token. */
static void lex(void) {
  token.io_number = -1;
  if (line_failed) {
    token.kind = kBad;
    return;
  }
  if (!pos && !read_line()) {
    token.kind = kEnd;
    return;
  }
  for (;;) { /* blanks, and backslash-newlines: the command goes on on the next line */
    while (is_blank(*pos)) pos++;
    if (pos[0] != '\\' || pos[1] != '\n') break;
    if (!read_line()) {
      token.kind = kEnd;
      return;
    }
  }
  if (*pos == '#')
    while (*pos && *pos != '\n') pos++;
  if (*pos == '\0' || *pos == '\n') {
    token.kind = kNewline;
    token.text = "newline";
    pos = NULL;
    read_here_documents();
    return;
  }
  if (pos[0] >= '0' && pos[0] <= '9' && (pos[1] == '<' || pos[1] == '>')) token.io_number = *pos++ - '0';
  if (is_operator_char(*pos)) {
    static const char* const operators[] = {"&&", "||", "<<-", "<<", ">>", ">&", "<&", ";;",
                                            ";",  "&",  "|",   "<",  ">",  "(",  ")"};
    for (unsigned i = 0; i < sizeof operators / sizeof operators[0]; i++) {
      const size_t n = strlen(operators[i]);
      if (!strncmp(pos, operators[i], n)) {
        token.kind = kOperator;
        token.text = operators[i];
        pos += n;
        return;
      }
    }
  }
  struct text t = {0};
  token.kind = read_word(&t, 0) < 0 ? kBad : kWord;
  token.text = text_keep(&t);
  if (token.kind == kBad) line_failed = 1;
}

static struct token* peek(void) {
  if (!has_token) {
    lex();
    has_token = 1;
  }
  return &token;
}

static void consume(void) { has_token = 0; }

static int is_operator(const struct token* t, const char* op) { return t->kind == kOperator && !strcmp(t->text, op); }
static int is_word(const struct token* t, const char* w) { return t->kind == kWord && !strcmp(t->text, w); }
static int is_redirection(const struct token* t) {
  return t->kind == kOperator && (t->text[0] == '<' || t->text[0] == '>');
}

/* The reserved words that end a list. */
static int is_closing(const struct token* t) {
  static const char* const words[] = {"then", "else", "elif", "fi", "do", "done", "}", "esac"};
  for (unsigned i = 0; i < sizeof words / sizeof words[0]; i++)
    if (is_word(t, words[i])) return 1;
  return is_operator(t, ")") || is_operator(t, ";;");
}

/* The reserved words that start a compound command ('(' is an operator). */
static int is_compound(const struct token* t) {
  static const char* const words[] = {"if", "while", "until", "for", "case", "{"};
  for (unsigned i = 0; i < sizeof words / sizeof words[0]; i++)
    if (is_word(t, words[i])) return 1;
  return 0;
}

static int starts_command(const struct token* t) {
  return (t->kind == kWord && !is_closing(t)) || is_operator(t, "(") || is_redirection(t);
}

/* ---- The grammar -------------------------------------------------------------------------- */

static int failed;          /* a syntax error was reported */
static const char* closing; /* what closes the innermost compound command being read */

static void* syntax_error_near(const struct token* t) {
  if (failed || t->kind == kBad) {
  } else if (t->kind == kEnd) {
    if (closing) fprintf(stderr, "sh: syntax error: unexpected end of input ('%s' missing)\n", closing);
    else fprintf(stderr, "sh: syntax error: unexpected end of input\n");
  } else {
    fprintf(stderr, "sh: syntax error near '%s'\n", t->text);
  }
  failed = 1;
  return NULL;
}

static void skip_newlines(void) {
  while (peek()->kind == kNewline) consume();
}

/* After `op` (| && ||): newlines, then a command must come. */
static int command_follows(const char* op) {
  skip_newlines();
  const struct token* t = peek();
  if (starts_command(t)) return 1;
  if (t->kind == kEnd) {
    fprintf(stderr, "sh: syntax error: a command must follow '%s'\n", op);
    failed = 1;
    return 0;
  }
  syntax_error_near(t);
  return 0;
}

static struct node* new_node(enum node_kind kind) {
  struct node* n = arena_alloc(sizeof *n);
  n->kind = kind;
  return n;
}

static struct word* new_word(const char* raw) {
  struct word* w = arena_alloc(sizeof *w);
  w->raw = raw;
  return w;
}

static struct node* parse_list(int top);

/* Consumes the reserved word `w`, or reports what came instead. */
static int expect(const char* w) {
  const struct token* t = peek();
  if (is_word(t, w)) {
    consume();
    return 1;
  }
  syntax_error_near(t);
  return 0;
}

/* A list inside a compound command: at least one command. */
static struct node* parse_body(void) {
  skip_newlines();
  if (!starts_command(peek())) return syntax_error_near(peek());
  return parse_list(0);
}

/* After "if" or "elif". */
static struct node* parse_if(void) {
  struct node* n = new_node(kIf);
  if (!(n->a = parse_body()) || !expect("then") || !(n->b = parse_body())) return NULL;
  if (is_word(peek(), "elif")) {
    consume();
    return (n->c = parse_if()) ? n : NULL;
  }
  if (is_word(peek(), "else")) {
    consume();
    if (!(n->c = parse_body())) return NULL;
  }
  return expect("fi") ? n : NULL;
}

/* After "while" or "until". */
static struct node* parse_loop(enum node_kind kind) {
  struct node* n = new_node(kind);
  if (!(n->a = parse_body()) || !expect("do") || !(n->b = parse_body()) || !expect("done")) return NULL;
  return n;
}

/* After "for". */
static struct node* parse_for(void) {
  struct node* n = new_node(kFor);
  const struct token* t = peek();
  if (t->kind != kWord || !is_name(t->text, strlen(t->text))) {
    if (!failed && t->kind == kWord) {
      fprintf(stderr, "sh: syntax error: '%s' is not a name\n", t->text);
      failed = 1;
    }
    return syntax_error_near(t);
  }
  n->name = t->text;
  consume();
  skip_newlines();
  if (is_word(peek(), "in")) {
    consume();
    n->has_list = 1;
    struct word** tail = &n->words;
    while (peek()->kind == kWord) {
      struct word* w = new_word(peek()->text);
      *tail = w;
      tail = &w->next;
      consume();
    }
    if (!is_operator(peek(), ";") && peek()->kind != kNewline) return syntax_error_near(peek());
    consume();
  } else if (is_operator(peek(), ";")) {
    consume();
  }
  skip_newlines();
  if (!expect("do") || !(n->b = parse_body()) || !expect("done")) return NULL;
  return n;
}

/* After "case": WORD in [(]PATTERN[|PATTERN]...) [LIST] ;; ... esac. */
static struct node* parse_case(void) {
  struct node* n = new_node(kCase);
  if (peek()->kind != kWord) return syntax_error_near(peek());
  n->words = new_word(peek()->text);
  consume();
  skip_newlines();
  if (!expect("in")) return NULL;
  skip_newlines();
  struct node** items = &n->a;
  while (!is_word(peek(), "esac")) {
    struct node* item = new_node(kCaseItem);
    if (is_operator(peek(), "(")) consume();
    for (struct word** patterns = &item->words;;) {
      if (peek()->kind != kWord) return syntax_error_near(peek());
      *patterns = new_word(peek()->text);
      patterns = &(*patterns)->next;
      consume();
      if (!is_operator(peek(), "|")) break;
      consume();
    }
    if (!is_operator(peek(), ")")) return syntax_error_near(peek());
    consume();
    skip_newlines();
    if (starts_command(peek()) && !(item->a = parse_list(0))) return NULL;
    *items = item;
    items = &item->next;
    if (is_operator(peek(), ";;")) {
      consume();
      skip_newlines();
    } else if (!is_word(peek(), "esac")) {
      return syntax_error_near(peek());
    }
  }
  consume();
  return n;
}

/* A redirection at the current token; 0, or -1 (reported). */
static int parse_redirection(struct redirection*** tail) {
  const struct token op = *peek();
  consume();
  const struct token* target = peek();
  if (target->kind != kWord) {
    syntax_error_near(target);
    return -1;
  }
  struct redirection* r = arena_alloc(sizeof *r);
  r->target = target->text;
  consume();
  const char* o = op.text;
  if (o[1] == '<') { /* a here-document: its lines are read at the end of this line */
    if (here_count == kMaxHereDocuments) {
      fprintf(stderr, "sh: more than %d here-documents on a line\n", kMaxHereDocuments);
      failed = 1;
      return -1;
    }
    /* The delimiter: the word without its quotes; quoted, the lines are not expanded. */
    char* delimiter = arena_alloc(strlen(r->target) + 1);
    char* d = delimiter;
    for (const char* c = r->target; *c; c++)
      if (*c == '\\' && c[1]) *d++ = *++c;
      else if (*c != '\'' && *c != '"') *d++ = *c;
    r->here_expands = !strpbrk(r->target, "'\"\\");
    r->target = delimiter;
    r->here = "";
    r->fd = op.io_number >= 0 ? op.io_number : 0;
    here_strips[here_count] = o[2] == '-';
    here_documents[here_count++] = r;
    **tail = r;
    *tail = &r->next;
    return 0;
  }
  r->is_copy = o[1] == '&';
  r->fd = op.io_number >= 0 ? op.io_number : o[0] == '<' ? 0 : 1;
  r->flags = o[0] == '<' ? O_RDONLY : O_WRONLY | O_CREAT | (o[1] == '>' ? O_APPEND : O_TRUNC);
  **tail = r;
  *tail = &r->next;
  return 0;
}

/* Whether a word is NAME=... (the name unquoted). */
static int is_assignment(const char* raw) {
  const char* equals = strchr(raw, '=');
  return equals && equals != raw && is_name(raw, (size_t)(equals - raw));
}

static struct node* parse_command(void);
static struct node* parse_function(const char* name);

/* Puts `text` in front of what is left of the line, to be read next (an alias's value). */
static void unread(const char* text) {
  const size_t rest = strlen(pos), length = strlen(text);
  char* joined = grow(NULL, length + rest + 1);
  memcpy(joined, text, length);
  memcpy(joined + length, pos, rest + 1);
  free(line);
  line = joined;
  line_capacity = length + rest + 1;
  pos = line;
}

/* The aliases being expanded where the command being read starts: one is not expanded again
 * in its own expansion (alias ls='ls -F'), as POSIX asks. */
enum { kMaxAliases = 16 };
static const char* expanding[kMaxAliases];
static int expanding_count;

/* The value of the alias word `t` names, when it is to be expanded: a word, unquoted (its raw
 * text is then the name), not an alias being expanded. NULL otherwise. */
static const char* alias_of(const struct token* t) {
  if (t->kind != kWord || expanding_count == kMaxAliases) return NULL;
  for (int i = 0; i < expanding_count; i++)
    if (!strcmp(expanding[i], t->text)) return NULL;
  return alias_value(t->text);
}

/* Reads the alias `value` in place of the word `t` names: a command's name. */
static void expand_alias(const struct token* t, const char* value) {
  expanding[expanding_count++] = t->text;
  consume();
  unread(value);
}

static struct node* parse_simple(void) {
  struct node* n = new_node(kSimple);
  struct word** words = &n->words;
  struct word** assignments = &n->assignments;
  struct redirection** redirections = &n->redirections;
  const int outer_expanding = expanding_count;
  for (;;) {
    const struct token* t = peek();
    const char* alias = t->kind == kWord && !n->words && !is_assignment(t->text) ? alias_of(t) : NULL;
    if (alias) { /* the name after assignments or redirections */
      expand_alias(t, alias);
    } else if (is_redirection(t)) {
      if (parse_redirection(&redirections) < 0) n = NULL;
    } else if (t->kind == kWord) {
      struct word* w = new_word(t->text);
      if (!n->words && is_assignment(t->text)) {
        *assignments = w;
        assignments = &w->next;
      } else {
        *words = w;
        words = &w->next;
      }
      consume();
    } else if (is_operator(t, "(") && n->words && !n->words->next && !n->assignments && !n->redirections &&
               is_name(n->words->raw, strlen(n->words->raw))) {
      n = parse_function(n->words->raw);
      break;
    } else {
      break;
    }
    if (!n) break;
  }
  expanding_count = outer_expanding;
  return n;
}

/* After NAME: ( ) and a compound command, the function's body. */
static struct node* parse_function(const char* name) {
  struct node* n = new_node(kFunction);
  n->name = name;
  consume();
  if (!is_operator(peek(), ")")) return syntax_error_near(peek());
  consume();
  skip_newlines();
  const struct token* t = peek();
  if (!is_compound(t) && !is_operator(t, "(")) return syntax_error_near(t);
  return (n->a = parse_command()) ? n : NULL;
}

static struct node* parse_command(void) {
  const struct token* t = peek();
  const char* alias = alias_of(t);
  if (alias) { /* it may start a compound command */
    expand_alias(t, alias);
    struct node* n = parse_command();
    expanding_count--;
    return n;
  }
  struct node* n;
  if (is_compound(t) || is_operator(t, "(")) {
    const char first = t->text[0];
    const int until = is_word(t, "until");
    const char* outer = closing;
    closing = first == 'i' ? "fi" : first == '{' ? "}" : first == '(' ? ")" : first == 'c' ? "esac" : "done";
    consume();
    if (first == 'i') {
      n = parse_if();
    } else if (first == 'w' || first == 'u') {
      n = parse_loop(until ? kUntil : kWhile);
    } else if (first == 'f') {
      n = parse_for();
    } else if (first == 'c') {
      n = parse_case();
    } else {
      n = new_node(first == '{' ? kGroup : kSubshell);
      if (!(n->a = parse_body())) {
        n = NULL;
      } else if (first == '{') {
        if (!expect("}")) n = NULL;
      } else if (is_operator(peek(), ")")) {
        consume();
      } else {
        n = syntax_error_near(peek());
      }
    }
    closing = outer;
    if (!n) return NULL;
    struct redirection** redirections = &n->redirections;
    while (is_redirection(peek()))
      if (parse_redirection(&redirections) < 0) return NULL;
    return n;
  }
  return parse_simple();
}

static struct node* parse_pipeline(enum connector after) {
  struct node* n = new_node(kPipeline);
  n->after = after;
  if (is_word(peek(), "time")) { /* a reserved word, as bash's and ksh's: the pipeline timed */
    consume();
    n->timed = 1;
    if (is_word(peek(), "-p")) {
      consume();
      n->timed = 2;
    }
    if (!starts_command(peek())) return n; /* time alone: the shell's own times, as bash's */
  }
  if (is_word(peek(), "!")) {
    consume();
    n->negate = 1;
    if (!starts_command(peek())) return syntax_error_near(peek());
  }
  struct node** tail = &n->a;
  for (;;) {
    if (n->count == kMaxPipeline) {
      fprintf(stderr, "sh: a pipeline of more than %d commands\n", kMaxPipeline);
      failed = 1;
      return NULL;
    }
    struct node* command = parse_command();
    if (!command) return NULL;
    *tail = command;
    tail = &command->next;
    n->count++;
    if (!is_operator(peek(), "|")) return n;
    consume();
    if (!command_follows("|")) return NULL;
  }
}

static struct node* parse_and_or(void) {
  struct node* n = new_node(kAndOr);
  struct node** tail = &n->a;
  for (enum connector after = kFirst;;) {
    struct node* pipeline = parse_pipeline(after);
    if (!pipeline) return NULL;
    *tail = pipeline;
    tail = &pipeline->next;
    const struct token* t = peek();
    if (!is_operator(t, "&&") && !is_operator(t, "||")) return n;
    const char* op = t->text;
    after = op[0] == '&' ? kIfSuccess : kIfFailure;
    consume();
    if (!command_follows(op)) return NULL;
  }
}

/* and-or lists separated by ';', '&' and (inside a compound command, or `top` not set)
 * newlines. At the top, the list ends with its line. */
static struct node* parse_list(int top) {
  struct node* n = new_node(kList);
  struct node** tail = &n->a;
  for (;;) {
    struct node* item = parse_and_or();
    if (!item) return NULL;
    *tail = item;
    tail = &item->next;
    const struct token* t = peek();
    int separated = 0; /* a command after this one needs a ';', a '&' or a newline first */
    if (is_operator(t, ";") || is_operator(t, "&")) {
      item->background = t->text[0] == '&';
      consume();
      t = peek();
      separated = 1;
    }
    if (t->kind == kNewline) {
      if (top) return n;
      skip_newlines();
      t = peek();
      separated = 1;
    }
    if (top && t->kind == kEnd) return n;
    if (!starts_command(t) || !separated) {
      if (top || !is_closing(t)) return syntax_error_near(t);
      return n;
    }
  }
}

struct saved_parser {
  struct block* blocks;
  struct source* source;
  char* line;
  size_t line_capacity;
  const char* pos;
  const char* next_string_line;
  struct token token;
  int has_token;
};

struct saved_parser* parse_push(void) {
  struct saved_parser* saved = grow(NULL, sizeof *saved);
  *saved = (struct saved_parser){blocks, source, line, line_capacity, pos, next_string_line, token, has_token};
  blocks = NULL;
  line = NULL;
  line_capacity = 0;
  return saved;
}

void parse_pop(struct saved_parser* saved) {
  parse_free();
  free(line);
  blocks = saved->blocks;
  source = saved->source;
  line = saved->line;
  line_capacity = saved->line_capacity;
  pos = saved->pos;
  next_string_line = saved->next_string_line;
  token = saved->token;
  has_token = saved->has_token;
  free(saved);
}

void parse_begin(struct source* s) {
  source = s;
  next_string_line = s->string;
  pos = NULL;
  has_token = 0;
}

int parse_next(struct node** tree) {
  parse_free();
  *tree = NULL;
  failed = 0;
  here_count = 0;
  closing = NULL;
  is_continued = 0;
  line_failed = 0;
  const struct token* t = peek();
  if (t->kind == kEnd) return 0;
  if (t->kind == kNewline) {
    consume();
    return 1;
  }
  if (!starts_command(t)) {
    syntax_error_near(t);
  } else if ((*tree = parse_list(1)) != NULL) {
    if (peek()->kind == kNewline) consume();
    return 1;
  }
  /* The rest of the line that failed is not run. */
  pos = NULL;
  has_token = 0;
  *tree = NULL;
  return -1;
}
