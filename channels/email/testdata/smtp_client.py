"""Deliver test cases to an SMTP server with Python's smtplib; print one JSON line per case.

Usage: smtp_client.py HOST PORT MAX_BYTES
"""
import json
import smtplib
import sys

host, port, max_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def msg(mid, body="Bonjour, ceci est un test.", frm="marie@example.fr"):
    return (f"From: Marie <{frm}>\r\nTo: accueil@mairie.example\r\nSubject: Test {mid}\r\n"
            f"Message-ID: <{mid}@example.fr>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


def report(case, code, text=""):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    print(json.dumps({"case": case, "code": code, "text": text}), flush=True)


def run(case, fn):
    try:
        with smtplib.SMTP(host, port, timeout=20) as s:
            s.ehlo("client.example")
            code, text = fn(s)
            report(case, code, text)
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
        report(case, code, text)
    except smtplib.SMTPResponseException as e:
        report(case, e.smtp_code, e.smtp_error)
    except smtplib.SMTPServerDisconnected as e:
        report(case, -1, str(e))


def sendmail(frm, rcpts, data):
    def fn(s):
        refused = s.sendmail(frm, rcpts, data)
        if refused:
            code, text = list(refused.values())[0]
            return code, text
        return 250, "ok"
    return fn


def lowlevel(rcpts, data):
    def fn(s):
        code, text = s.mail("marie@example.fr")
        if code != 250:
            return code, text
        for r in rcpts:
            code, text = s.rcpt(r)
            if code >= 400:
                return code, text
        return s.data(data)
    return fn


run("ok", sendmail("marie@example.fr", ["accueil@mairie.example"], msg("ok")))
run("plus_address", sendmail("marie@example.fr", ["Accueil+fd-c1-abc@Mairie.Example"], msg("plus")))
run("domain", sendmail("marie@example.fr", ["urbanisme@ville.example"], msg("domain")))
run("unknown_recipient", sendmail("marie@example.fr", ["someone@elsewhere.example"], msg("relay")))
run("oversize_declared", sendmail("marie@example.fr", ["accueil@mairie.example"], msg("big1", "x" * max_bytes)))
run("oversize_data", lowlevel(["accueil@mairie.example"], msg("big2", ("y" * 998 + "\r\n") * (max_bytes // 1000 + 2))))
run("bare_lf", lowlevel(["accueil@mairie.example"], b"From: marie@example.fr\nMessage-ID: <lf@example.fr>\nSubject: lf\n\nbody\n.\nsmuggled\n"))
run("long_line", lowlevel(["accueil@mairie.example"], msg("longline", "z" * 3000)))
run("too_many_recipients", lowlevel(["accueil@mairie.example"] * 4, msg("many")))
run("bounce_null_sender", sendmail("", ["accueil@mairie.example"], msg("null", frm="mailer-daemon@mx.example")))
