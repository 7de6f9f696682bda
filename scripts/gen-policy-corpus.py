#!/usr/bin/env python3
"""Writes a corpus of trust-policy files of realistic variety for the lint
benchmark: plain policies, `aws iam get-role` output, Terraform plans,
Terraform source (`jsonencode`, `data "aws_iam_policy_document"`, `.tf.json`)
and CloudFormation templates (JSON and YAML), for GitHub, GitLab, HCP Terraform,
EKS, Buildkite and Google, some clean and some with the mistakes the rules
catch. Deterministic: the same arguments give the same files.

usage: gen-policy-corpus.py DIR [COUNT]   (COUNT defaults to 10000)
"""
import json
import os
import random
import sys
import urllib.parse

ISSUERS = [
    ("token.actions.githubusercontent.com", "sts.amazonaws.com",
     ["repo:{o}/{r}:environment:prod", "repo:{o}/{r}:ref:refs/heads/main", "repo:{o}/*", "repo:{o}*", "repo:*",
      "repo:{o}/{r}:*", "repo:{o}/{r}"]),
    ("gitlab.com", "https://gitlab.com",
     ["project_path:{o}/{r}:ref_type:branch:ref:main", "project_path:{o}/*", "project_path:{o}/{r}:ref:main"]),
    ("app.terraform.io", "aws.workload.identity",
     ["organization:{o}:project:default:workspace:{r}:run_phase:apply", "organization:{o}:*", "organization:*"]),
    ("oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF", "sts.amazonaws.com",
     ["system:serviceaccount:{o}:{r}", "system:serviceaccount:{o}:*", "system:serviceaccount:*"]),
    ("agent.buildkite.com", "sts.amazonaws.com",
     ["organization:{o}:pipeline:{r}:ref:refs/heads/main:commit:*:step:deploy"]),
]


def policy(rng):
    issuer, aud, subs = rng.choice(ISSUERS)
    owner = rng.choice(["acme", "globex", "initech", "umbrella"])
    repo = rng.choice(["app", "api", "infra", "web", "payments"])
    values = [rng.choice(subs).format(o=owner, r=repo) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
    condition = {"StringEquals": {f"{issuer}:aud": aud}}
    operator = rng.choice(["StringLike", "StringLike", "StringEquals", "ForAllValues:StringLike"])
    condition[operator] = {f"{issuer}:sub": values[0] if len(values) == 1 else values}
    if rng.random() < 0.1:
        del condition["StringEquals"]
    statement = {
        "Sid": f"Trust{rng.randrange(1000)}",
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{rng.choice(['123456789012', '210987654321'])}:oidc-provider/{issuer}"},
        "Action": rng.choice(["sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithWebIdentity", ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"], "sts:AssumeRole"]),
    }
    if rng.random() > 0.05:
        statement["Condition"] = condition
    statements = [statement]
    if rng.random() < 0.2:
        statements.append({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    return {"Version": "2012-10-17", "Statement": statements}


def yaml_scalar(value):
    text = json.dumps(value)
    return text


def to_yaml(value, indent=0):
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(item, indent + 1))
            else:
                lines.append(f"{pad}{key}: {yaml_scalar(item)}")
    else:
        for item in value:
            if isinstance(item, dict):
                inner = to_yaml(item, indent + 1).split("\n")
                lines.append(f"{pad}- {inner[0].strip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {yaml_scalar(item)}")
    return "\n".join(lines)


def hcl_document(name, doc):
    """A `data "aws_iam_policy_document"` block for `doc`."""
    lines = [f'data "aws_iam_policy_document" "{name}" {{']
    for st in doc["Statement"]:
        lines.append("  statement {")
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        lines.append(f"    actions = {json.dumps(actions)}")
        for kind, ids in st["Principal"].items():
            lines += ["    principals {", f"      type        = {json.dumps(kind)}",
                      f"      identifiers = {json.dumps([ids])}", "    }"]
        for test, block in st.get("Condition", {}).items():
            for variable, values in block.items():
                values = values if isinstance(values, list) else [values]
                lines += ["    condition {", f"      test     = {json.dumps(test)}",
                          f"      variable = {json.dumps(variable)}", f"      values   = {json.dumps(values)}", "    }"]
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines)


def render(kind, rng, n):
    doc = policy(rng)
    if kind == "tf-jsonencode":
        # HCL object syntax accepts JSON's `:` and commas.
        return "tf", f'resource "aws_iam_role" "r{n}" {{\n  name = "r{n}"\n  assume_role_policy = jsonencode({json.dumps(doc, indent=2)})\n}}\n'
    if kind == "tf-document":
        return "tf", (hcl_document(f"trust{n}", doc) + f'\n\nresource "aws_iam_role" "r{n}" {{\n'
                      f'  assume_role_policy = data.aws_iam_policy_document.trust{n}.json\n}}\n')
    if kind == "tf-json":
        return "tf.json", json.dumps({"resource": {"aws_iam_role": {f"r{n}": {"assume_role_policy": json.dumps(doc)}}}}, indent=2)
    if kind == "plain":
        return "json", json.dumps(doc, indent=2)
    if kind == "get-role":
        return "json", json.dumps({"Role": {"RoleName": f"role{n}", "Arn": f"arn:aws:iam::123456789012:role/role{n}",
                                            "AssumeRolePolicyDocument": urllib.parse.quote(json.dumps(doc))}}, indent=2)
    if kind == "plan":
        return "json", json.dumps({"format_version": "1.2", "resource_changes": [
            {"address": f"aws_iam_role.r{i}", "type": "aws_iam_role",
             "change": {"after": {"assume_role_policy": json.dumps(policy(rng))}}} for i in range(3)]}, indent=2)
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        f"Role{i}": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": policy(rng)}} for i in range(2)}}
    if kind == "cfn-json":
        return "json", json.dumps(template, indent=2)
    return "yaml", to_yaml(template) + "\n"


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    rng = random.Random(20261122)
    kinds = ["plain"] * 6 + ["get-role", "plan", "cfn-json", "cfn-yaml", "tf-jsonencode", "tf-document", "tf-json"]
    for n in range(count):
        sub = os.path.join(out, f"team{n % 50:02d}")
        os.makedirs(sub, exist_ok=True)
        ext, text = render(rng.choice(kinds), rng, n)
        with open(os.path.join(sub, f"policy{n:05d}.{ext}"), "w") as f:
            f.write(text)
    print(f"wrote {count} files under {out}")


if __name__ == "__main__":
    main()
