/** @jsxImportSource react */
import {
  Body,
  Button,
  Container,
  Head,
  Heading,
  Hr,
  Html,
  Link,
  Preview,
  Text,
} from '@react-email/components';

/** Mails to status-page subscribers: the opt-in request, or an incident or maintenance update. */
export type StatusEmailProps =
  | { kind: 'confirm'; pageName: string; confirmUrl: string }
  | {
      kind: 'update';
      pageName: string;
      incidentName: string;
      status: string;
      body: string;
      components: string[];
      postedAt: string;
      incidentUrl: string;
      unsubscribeUrl: string;
    };

const muted = { color: '#52525b', fontSize: '12px' };

export default function StatusEmail(props: StatusEmailProps) {
  return (
    <Html lang="en">
      <Head />
      <Preview>
        {props.kind === 'confirm'
          ? `Confirm status updates from ${props.pageName}`
          : `${props.incidentName}: ${props.status}`}
      </Preview>
      <Body style={{ backgroundColor: '#f4f4f5', fontFamily: 'Helvetica, Arial, sans-serif' }}>
        <Container style={{ backgroundColor: '#ffffff', padding: '24px', maxWidth: '600px' }}>
          {props.kind === 'confirm' ? <Confirm {...props} /> : <Update {...props} />}
        </Container>
      </Body>
    </Html>
  );
}

function Confirm(props: Extract<StatusEmailProps, { kind: 'confirm' }>) {
  return (
    <>
      <Heading as="h1" style={{ fontSize: '20px' }}>
        Confirm status updates from {props.pageName}
      </Heading>
      <Text>
        Someone, hopefully you, asked for an email whenever {props.pageName} posts an incident or
        maintenance update. Nothing is sent until you confirm.
      </Text>
      <Button
        href={props.confirmUrl}
        style={{ backgroundColor: '#1d4ed8', color: '#fff', padding: '10px 18px' }}
      >
        Confirm
      </Button>
      <Hr />
      <Text style={muted}>If it was not you, ignore this email.</Text>
    </>
  );
}

function Update(props: Extract<StatusEmailProps, { kind: 'update' }>) {
  return (
    <>
      <Heading as="h1" style={{ fontSize: '20px' }}>
        {props.incidentName}
      </Heading>
      <Text style={{ fontWeight: 700, textTransform: 'capitalize' }}>
        {props.status.replaceAll('_', ' ')}
      </Text>
      <Text>{props.body}</Text>
      {props.components.length > 0 ? (
        <Text style={muted}>Affects {props.components.join(', ')}</Text>
      ) : null}
      <Text style={muted}>Posted {props.postedAt}</Text>
      <Link href={props.incidentUrl}>Follow this incident</Link>
      <Hr />
      <Text style={muted}>
        You get these because you subscribed to {props.pageName} status updates.{' '}
        <Link href={props.unsubscribeUrl}>Unsubscribe</Link>
      </Text>
    </>
  );
}
